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
import { DenseHead, type DenseHeadParams, type DenseHeadSpec } from '../dense-head.js';
import { FeatureExtractor } from '../features.js';
import { calibratedScorer, HashedLinearModel, quantize, type Calibration, type ModelHeader, type ModelParams } from '../model.js';
import { normalizeText } from '../normalize.js';
import { packageRoot } from '../paths.js';
import { POOLING } from '../word-table.js';
import { loadWordVectors } from '../word-vectors.js';
import { chooseBlend, projectHead, trainDense, type DenseExample } from './dense.js';
import { AUGMENT_METHODS, augmentText, Rng } from './augment.js';
import { chooseThreshold, fitPlatt } from './calibrate.js';
import { assignSplits, isPermissiveLicense, loadDataDir, loadJsonl, type LabelledRecord, type Split } from './data.js';
import { trainLinear, type Example } from './sgd.js';

/**
 * Pseudo-count of features that pulls the scores of very short texts towards
 * "nothing seen" (see ModelHeader.evidence). Chosen on the validation split:
 * at 16, no short benign text ("hi", "ok", "Not here.") is flagged, and recall
 * at 1% FPR and AUPRC rise slightly for all three models.
 */
const SHORT_TEXT_EVIDENCE = 16;
import { impliedWeight, taskLabels, taskLabelsWeighted, type TaskSpec } from './tasks.js';

export interface TrainInputs {
  /** All records of the shared data folder (the split is computed over all of them). */
  records: LabelledRecord[];
  splits: Split[];
  /** Hand-written training records (`extra/*.train.jsonl`), always fitted. */
  extra: LabelledRecord[];
  /**
   * Hand-written calibration records (`extra/*.calibration.jsonl`), never
   * fitted. Benign-but-scary ones raise thresholds until few of them are
   * flagged; ones with a positive label join the calibration slice.
   */
  extraCalibration: LabelledRecord[];
}

export interface TrainResult {
  params: ModelParams;
  /** Per-dataset counts of records used for fitting and calibration. */
  usage: Record<string, { train: number; calibration: number; license: string[] }>;
  log: string[];
}

function loadExtras(extraDir: string, suffix: string): LabelledRecord[] {
  return readdirSync(extraDir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .flatMap((f) => loadJsonl(join(extraDir, f), `extra:${f.slice(0, -suffix.length)}`));
}

/** Loads the shared data and the hand-written extras. */
export function loadTrainInputs(dataDir: string, extraDir: string): TrainInputs {
  const records = loadDataDir(dataDir);
  const splits = assignSplits(records);
  return {
    records, splits,
    extra: loadExtras(extraDir, '.train.jsonl'),
    extraCalibration: loadExtras(extraDir, '.calibration.jsonl'),
  };
}

/** Datasets whose `meta.question` is a benign user question (the question asked about a document or page). */
const QUESTION_DATASETS = ['medquad_medical_answers', 'bipia_indirect_injection'];

/**
 * Benign questions carried in the meta of permissive records (MedQuAD's
 * templated medical questions, BIPIA's user questions about a document), as
 * records of their own with `benign = 1`. They add ordinary question-shaped
 * negatives, which the benign pools have few of. Only records already chosen
 * for fitting are used, so the split is respected.
 */
export function derivedQuestions(records: readonly LabelledRecord[]): LabelledRecord[] {
  const seen = new Set<string>();
  const out: LabelledRecord[] = [];
  for (const r of records) {
    const q = r.meta.question;
    if (!QUESTION_DATASETS.includes(r.dataset) || typeof q !== 'string') continue;
    const text = q.replace(/^Q:\s*/, '').trim();
    if (text.length < 8 || seen.has(text)) continue;
    seen.add(text);
    out.push({ ...r, id: `${r.id}:question`, text, labels: { benign: 1 }, dataset: `${r.dataset}:question`, meta: {} });
  }
  return out;
}

function toExample(fx: FeatureExtractor, text: string, y: Int8Array, w: number, lw?: Float32Array): Example {
  const { idx, ranges } = fx.extract(text);
  return { idx: idx.slice(), ranges: ranges.slice(), y, w, ...(lw !== undefined ? { lw } : {}) };
}

function hasKnown(y: Int8Array): boolean {
  return y.some((v) => v >= 0);
}

function isPositive(y: Int8Array): boolean {
  return y.some((v) => v === 1);
}

/**
 * Which records may be fitted: `permissive` (shipped models) or `all`, which
 * also uses non-commercial, copyleft and unlicensed records and must only
 * produce an optional, clearly labelled model that is off by default.
 */
export type LicensePolicy = 'permissive' | 'all';

/** Trains, calibrates and quantises one task. `log` receives progress lines. */
export function trainTask(
  task: TaskSpec, inputs: TrainInputs, seed: number, log: (m: string) => void = () => {},
  licenses: LicensePolicy = 'permissive',
): TrainResult {
  const allowed = (r: LabelledRecord): boolean => licenses === 'all' || isPermissiveLicense(r.license);
  const lines: string[] = [];
  const say = (m: string): void => {
    lines.push(m);
    log(m);
  };
  const rng = new Rng(seed);
  const fx = new FeatureExtractor(task.features, task.windows);
  const usage: TrainResult['usage'] = {};
  const note = (r: LabelledRecord, part: 'train' | 'calibration'): void => {
    const u = (usage[r.dataset] ??= { train: 0, calibration: 0, license: [] });
    u[part]++;
    if (!u.license.includes(r.license)) u.license.push(r.license);
  };

  const fitRecords: LabelledRecord[] = [];
  const calRecords: LabelledRecord[] = [];
  inputs.records.forEach((r, i) => {
    if (!allowed(r)) return;
    const s = inputs.splits[i];
    if (s === 'train') fitRecords.push(r);
    else if (s === 'calibration') calRecords.push(r);
  });
  fitRecords.push(...derivedQuestions(fitRecords));
  fitRecords.push(...inputs.extra.filter(allowed));

  const examples: Example[] = [];
  const denseRecords: { text: string; y: Int8Array; w: number; lw?: Float32Array }[] = [];
  let augmented = 0;
  for (const r of fitRecords) {
    // A weight of 0 leaves the dataset out of that part of the model (not even an augmentation draw).
    const linearWeight = task.datasetWeights?.[r.dataset] ?? 1;
    const denseWeight = task.dense === undefined ? 0 : (task.dense.datasetWeights?.[r.dataset] ?? linearWeight);
    if (linearWeight === 0 && denseWeight === 0) continue;
    const { y, w: lw } = taskLabelsWeighted(task, r, true);
    if (!hasKnown(y)) continue;
    note(r, 'train');
    const base = hasKnown(taskLabels(task, r, false)) ? 1 : (impliedWeight(task, r) ?? 1);
    if (denseWeight > 0) denseRecords.push({ text: r.text, y, w: base * denseWeight, ...(lw !== undefined ? { lw } : {}) });
    if (linearWeight === 0) continue;
    const w = base * linearWeight;
    examples.push(toExample(fx, r.text, y, w, lw));
    const pAug = isPositive(y) ? task.augment.positive : task.augment.negative;
    if (pAug > 0 && rng.next() < pAug) {
      const method = rng.pick(task.augment.methods.length > 0 ? task.augment.methods : AUGMENT_METHODS);
      examples.push(toExample(fx, augmentText(r.text, method, rng), y, w * task.augment.weight, lw));
      augmented++;
    }
  }
  const pos = task.labels.map((_, j) => examples.filter((e) => e.y[j] === 1).length);
  const neg = task.labels.map((_, j) => examples.filter((e) => e.y[j] === 0).length);
  say(`${task.name}: ${examples.length - augmented} training records (+${augmented} obfuscated copies)`);
  task.labels.forEach((l, j) => say(`  ${l}: ${pos[j]} positive, ${neg[j]} negative examples (with copies)`));

  const k = task.labels.length;
  const runs = Math.max(1, task.seedAverage ?? 1);
  const fitted = trainLinear(examples, k, task.features.bits, { ...task.train, seed, log: say });
  for (let s = 1; s < runs; s++) {
    // Same examples, another shuffling order; the float weights are averaged before quantisation.
    const next = trainLinear(examples, k, task.features.bits, { ...task.train, seed: seed + 1000 * s, log: say });
    for (let i = 0; i < fitted.weights.length; i++) fitted.weights[i]! += next.weights[i]!;
    for (let j = 0; j < k; j++) fitted.bias[j]! += next.bias[j]!;
  }
  if (runs > 1) {
    for (let i = 0; i < fitted.weights.length; i++) fitted.weights[i]! /= runs;
    for (let j = 0; j < k; j++) fitted.bias[j]! /= runs;
    say(`averaged the weights of ${runs} fits (seeds ${Array.from({ length: runs }, (_, s) => seed + 1000 * s).join(', ')})`);
  }
  const { q, scale } = quantize(fitted.weights, k);
  const identity: Calibration[] = task.labels.map(() => ({ a: 1, b: 0 }));
  const header: ModelHeader = {
    formatVersion: 1,
    name: task.name,
    labels: [...task.labels],
    features: task.features,
    bias: Array.from(fitted.bias),
    scale,
    calibration: identity,
    thresholds: {} as Record<string, number>,
    ...(task.windows !== undefined ? { windows: task.windows } : {}),
    // Short-text shrinkage is part of the scoring function, so calibration and thresholds below are fitted with it.
    evidence: task.evidence ?? SHORT_TEXT_EVIDENCE,
    ...(task.conjunctions !== undefined ? { conjunctions: task.conjunctions.map((c) => ({ label: c.label, of: [...c.of] })) } : {}),
    ...(task.hierarchy !== undefined ? { implies: task.hierarchy.map(([label, parent]) => ({ label, parent })) } : {}),
  };
  if (task.evidencePrior === 'benign-median') {
    // Without features a text is like an ordinary one: the prior is what the benign calibration texts score, unshrunk.
    const whole = new HashedLinearModel({ header: { ...header, evidence: 0 }, weights: q });
    const benign = calRecords.filter((r) => r.labels.benign === 1).map((r) => whole.logits(r.text));
    if (benign.length === 0) throw new Error(`${task.name}: evidencePrior 'benign-median' needs benign records in the calibration slice`);
    header.evidencePrior = medianLogits(benign, k);
    say(`evidence prior (median benign logit): ${header.evidencePrior.map((v) => v.toFixed(2)).join(' ')}`);
  }
  let raw = new HashedLinearModel({ header, weights: q });
  let dense: { spec: DenseHeadSpec; params: DenseHeadParams } | undefined;
  if (task.dense !== undefined) {
    const spec = task.dense;
    const { vectors, sha256 } = loadWordVectors(join(packageRoot(), 'models', spec.vectors));
    const dx: DenseExample[] = denseRecords.map((d) => {
      const x = new Float64Array(vectors.pooledSize);
      vectors.pool(normalizeText(d.text).text, x);
      return { ...d, x };
    });
    const hidden = spec.train.hidden * spec.train.seeds;
    const { scale, ...params } = projectHead(vectors, trainDense(dx, vectors.pooledSize, k, spec.train, seed, say), hidden, k);
    const headSpec: DenseHeadSpec = {
      pooling: POOLING, words: params.words.length, wordBytes: 0, hidden, scale, blend: task.labels.map(() => 1),
      vectors: { sha256, source: vectors.header.info.source },
    };
    // The blend is chosen on the calibration slice, with the head as stored (quantised table).
    const head = new DenseHead(headSpec, k, params);
    const cal = calRecords.map((r) => ({ y: taskLabels(task, r, false), r })).filter((c) => hasKnown(c.y));
    const lin = cal.map((c) => raw.logits(c.r.text));
    const out = cal.map((c) => {
      const z = new Float64Array(k);
      head.addTo(normalizeText(c.r.text).text, z);
      return z;
    });
    const { blend, auprc } = chooseBlend(lin, out, cal.map((c) => c.y), spec.blendGrid);
    say(`dense head: blend ${blend} (calibration mean AUPRC ${spec.blendGrid.map((b, i) => `${b}: ${auprc[i]!.toFixed(4)}`).join(', ')})`);
    dense = { spec: { ...headSpec, blend: task.labels.map(() => blend) }, params };
    raw = new HashedLinearModel({ header: { ...header, dense: dense.spec }, weights: q, dense: dense.params });
  }

  const hardY = inputs.extraCalibration.map((r) => taskLabels(task, r, false));
  const hardZ = inputs.extraCalibration.map((r) => raw.logits(r.text));
  // Calibration slice: logits of the quantised model, exactly as shipped. Hand-written calibration positives
  // (labels with few or no permissive positives in the slice) join it; hand-written negatives only cap thresholds, below.
  const extraPositives = inputs.extraCalibration.filter((_, i) => hardY[i]!.some((v) => v === 1));
  const calY: Int8Array[] = [];
  const calZ: Float64Array[] = [];
  const calIsBenign: boolean[] = [];
  for (const r of [...calRecords, ...extraPositives]) {
    const y = taskLabels(task, r, false);
    if (!hasKnown(y)) continue;
    note(r, 'calibration');
    calY.push(y);
    calZ.push(raw.logits(r.text));
    calIsBenign.push(r.labels.benign === 1);
  }
  // Each label's rows with a known label, then one Platt fit a label.
  const known = task.labels.map((_, j) => calY.flatMap((ys, i) => (ys[j]! >= 0 ? [i] : [])));
  const calibration: Calibration[] = task.labels.map((_, j) => fitPlatt(known[j]!.map((i) => calZ[i]![j]!), known[j]!.map((i) => calY[i]![j]!)));
  // Thresholds on the scores as shipped: calibrated, with the conjunctions and implications applied (they mix labels).
  const scored = calibratedScorer({ name: task.name, labels: header.labels, calibration, conjunctions: header.conjunctions, implies: header.implies });
  const calP = calZ.map(scored);
  const hardP = hardZ.map(scored);
  const thresholds: Record<string, number> = {};
  task.labels.forEach((label, j) => {
    const rows = known[j]!;
    const p = rows.map((i) => calP[i]![j]!);
    const y = rows.map((i) => calY[i]![j]!);
    const policy = task.thresholds[label] ?? task.defaultThreshold;
    const hard = hardP.filter((_, i) => hardY[i]![j] === 0).map((row) => row[j]!);
    // `maxFpr` caps the share of flagged *benign* calibration records (not of hard negatives such as offensive tweets).
    const benignP = p.filter((_, r) => calIsBenign[rows[r]!] === true);
    const cap = policy.kind === 'fbeta' && policy.maxFpr !== undefined && benignP.length > 0
      ? chooseThreshold(benignP, benignP.map(() => 0), { kind: 'fpr', fpr: policy.maxFpr })
      : 0;
    thresholds[label] = Math.max(
      chooseThreshold(p, y, policy.kind === 'fbeta' ? { ...policy, maxFpr: undefined } : policy),
      cap,
      hard.length > 0 && policy.hardNegativeRate !== undefined
        ? chooseThreshold(hard, hard.map(() => 0), { kind: 'fpr', fpr: policy.hardNegativeRate })
        : 0,
    );
    const npos = y.filter((v) => v === 1).length;
    const cal = calibration[j]!;
    say(`  calibration ${label}: ${npos} pos / ${y.length - npos} neg, a=${cal.a.toFixed(3)} b=${cal.b.toFixed(3)}, threshold ${thresholds[label]}`);
  });
  return {
    params: { header: { ...header, ...(dense !== undefined ? { dense: dense.spec } : {}), calibration, thresholds }, weights: q, ...(dense !== undefined ? { dense: dense.params } : {}) },
    usage, log: lines,
  };
}

/** Per-label median of logit rows (the evidence prior), rounded to 4 decimals so the header stays short. */
export function medianLogits(rows: readonly ArrayLike<number>[], k: number): number[] {
  return Array.from({ length: k }, (_, j) => {
    const v = rows.map((z) => z[j]!).sort((a, b) => a - b);
    const mid = v.length >> 1;
    const m = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
    return Math.round(m * 1e4) / 1e4;
  });
}
