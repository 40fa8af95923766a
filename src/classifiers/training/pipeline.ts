/**
 * Training one classifier end to end: data selection, augmentation, fitting,
 * quantisation, calibration and threshold choice.
 *
 * Data use: only records with a permissive licence (see
 * `isPermissiveLicense`) from the `train` split are fitted; the
 * `calibration` split (also permissive only) fits Platt scaling and picks
 * thresholds; the `validation` split is never touched here.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureExtractor } from '../features.js';
import { HashedLinearModel, quantize, type Calibration, type ModelParams } from '../model.js';
import { AUGMENT_METHODS, augmentText, Rng } from './augment.js';
import { chooseThreshold, fitPlatt } from './calibrate.js';
import { assignSplits, isPermissiveLicense, loadDataDir, loadJsonl, type LabelledRecord, type Split } from './data.js';
import { trainLinear, type Example } from './sgd.js';
import { taskLabels, type TaskSpec } from './tasks.js';

export interface TrainInputs {
  /** All records of the shared data folder (the split is computed over all of them). */
  records: LabelledRecord[];
  splits: Split[];
  /** Hand-written training records (always `train`, never evaluated as validation). */
  extra: LabelledRecord[];
}

export interface TrainResult {
  params: ModelParams;
  /** Per-dataset counts of records used for fitting and calibration. */
  usage: Record<string, { train: number; calibration: number; license: string[] }>;
  log: string[];
}

/** Loads the shared data and the hand-written training extras. */
export function loadTrainInputs(dataDir: string, extraDir: string): TrainInputs {
  const records = loadDataDir(dataDir);
  const splits = assignSplits(records);
  const extra = readdirSync(extraDir)
    .filter((f) => f.endsWith('.train.jsonl'))
    .sort()
    .flatMap((f) => loadJsonl(join(extraDir, f), `extra:${f.replace(/\.train\.jsonl$/, '')}`));
  return { records, splits, extra };
}

function hasKnown(y: Int8Array): boolean {
  return y.some((v) => v >= 0);
}

function isPositive(y: Int8Array): boolean {
  return y.some((v) => v === 1);
}

/** Trains, calibrates and quantises one task. `log` receives progress lines. */
export function trainTask(task: TaskSpec, inputs: TrainInputs, seed: number, log: (m: string) => void = () => {}): TrainResult {
  const lines: string[] = [];
  const say = (m: string): void => {
    lines.push(m);
    log(m);
  };
  const rng = new Rng(seed);
  const fx = new FeatureExtractor(task.features);
  const usage: TrainResult['usage'] = {};
  const note = (r: LabelledRecord, part: 'train' | 'calibration'): void => {
    const u = (usage[r.dataset] ??= { train: 0, calibration: 0, license: [] });
    u[part]++;
    if (!u.license.includes(r.license)) u.license.push(r.license);
  };

  const fitRecords: LabelledRecord[] = [];
  const calRecords: LabelledRecord[] = [];
  inputs.records.forEach((r, i) => {
    if (!isPermissiveLicense(r.license)) return;
    const s = inputs.splits[i];
    if (s === 'train') fitRecords.push(r);
    else if (s === 'calibration') calRecords.push(r);
  });
  fitRecords.push(...inputs.extra.filter((r) => isPermissiveLicense(r.license)));

  const examples: Example[] = [];
  let augmented = 0;
  for (const r of fitRecords) {
    const y = taskLabels(task, r, true);
    if (!hasKnown(y)) continue;
    note(r, 'train');
    examples.push({ idx: fx.extract(r.text).slice(), y, w: 1 });
    const pAug = isPositive(y) ? task.augment.positive : task.augment.negative;
    if (pAug > 0 && rng.next() < pAug) {
      const method = rng.pick(task.augment.methods.length > 0 ? task.augment.methods : AUGMENT_METHODS);
      examples.push({ idx: fx.extract(augmentText(r.text, method, rng)).slice(), y, w: task.augment.weight });
      augmented++;
    }
  }
  const pos = task.labels.map((_, j) => examples.filter((e) => e.y[j] === 1 && e.w === 1).length);
  const neg = task.labels.map((_, j) => examples.filter((e) => e.y[j] === 0 && e.w === 1).length);
  say(`${task.name}: ${examples.length - augmented} training records (+${augmented} obfuscated copies)`);
  task.labels.forEach((l, j) => say(`  ${l}: ${pos[j]} positive, ${neg[j]} negative`));

  const fitted = trainLinear(examples, task.labels.length, task.features.bits, { ...task.train, seed, log: say });
  const k = task.labels.length;
  const { q, scale } = quantize(fitted.weights, k);
  const identity: Calibration[] = task.labels.map(() => ({ a: 1, b: 0 }));
  const header = {
    formatVersion: 1,
    name: task.name,
    labels: [...task.labels],
    features: task.features,
    bias: Array.from(fitted.bias),
    scale,
    calibration: identity,
    thresholds: {} as Record<string, number>,
    ...(task.longText !== undefined ? { longText: task.longText } : {}),
  };
  const raw = new HashedLinearModel({ header, weights: q });

  // Calibration slice: logits of the quantised model, exactly as shipped.
  const calY: Int8Array[] = [];
  const calZ: Float64Array[] = [];
  for (const r of calRecords) {
    const y = taskLabels(task, r, false);
    if (!hasKnown(y)) continue;
    note(r, 'calibration');
    calY.push(y);
    calZ.push(raw.logits(r.text));
  }
  const calibration: Calibration[] = [];
  const thresholds: Record<string, number> = {};
  task.labels.forEach((label, j) => {
    const z: number[] = [];
    const y: number[] = [];
    calY.forEach((ys, i) => {
      if (ys[j]! >= 0) {
        z.push(calZ[i]![j]!);
        y.push(ys[j]!);
      }
    });
    const cal = fitPlatt(z, y);
    calibration.push(cal);
    const p = z.map((v) => 1 / (1 + Math.exp(-(cal.a * v + cal.b))));
    const policy = task.thresholds[label] ?? task.defaultThreshold;
    thresholds[label] = chooseThreshold(p, y, policy);
    const npos = y.filter((v) => v === 1).length;
    say(`  calibration ${label}: ${npos} pos / ${y.length - npos} neg, a=${cal.a.toFixed(3)} b=${cal.b.toFixed(3)}, threshold ${thresholds[label]}`);
  });
  return { params: { header: { ...header, calibration, thresholds }, weights: q }, usage, log: lines };
}
