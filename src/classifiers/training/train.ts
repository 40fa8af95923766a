/**
 * Command line: trains the shipped classifiers from ../shared/data.
 *
 *   node --import tsx src/classifiers/training/train.ts [--model injection|harmful_request|moderation|all]
 *     [--data <dir>] [--seed <n>] [--out <models dir>] [--extra <dir>] [--dry-run]
 *
 * Defaults: `--model all`, `--data <repo>/../shared/data`, `--seed 1`,
 * `--out <repo>/models`, `--extra src/classifiers/training/extra`.
 * Writes `<out>/<model>/model.bin` and prints a quick validation summary
 * (the full report is `src/eval/run.ts`).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CLASSIFIER_NAMES, type ClassifierName } from '../labels.js';
import { HashedLinearModel, saveModel } from '../model.js';
import { packageRoot } from '../paths.js';
import { averagePrecision, recallAtFpr, rocAuc, atThreshold } from '../../eval/metrics.js';
import { loadTrainInputs, trainTask, type TrainInputs } from './pipeline.js';
import { TASKS, taskLabels } from './tasks.js';

function quickValidation(model: HashedLinearModel, name: ClassifierName, inputs: TrainInputs): string[] {
  const task = TASKS[name];
  const out: string[] = [];
  const rows: { y: Int8Array; p: number[] }[] = [];
  inputs.records.forEach((r, i) => {
    if (inputs.splits[i] !== 'validation') return;
    const y = taskLabels(task, r, false);
    if (!y.some((v) => v >= 0)) return;
    const s = model.score(r.text);
    rows.push({ y, p: task.labels.map((l) => s[l] ?? 0) });
  });
  task.labels.forEach((label, j) => {
    const known = rows.filter((r) => r.y[j]! >= 0);
    const y = known.map((r) => r.y[j]!);
    const p = known.map((r) => r.p[j]!);
    const npos = y.filter((v) => v === 1).length;
    const at = atThreshold(p, y, model.thresholds[label] ?? 0.5);
    out.push(
      `validation ${label}: n=${y.length} pos=${npos} AUC=${rocAuc(p, y).toFixed(4)} AP=${averagePrecision(p, y).toFixed(4)} ` +
        `R@1%=${recallAtFpr(p, y, 0.01).recall.toFixed(4)} R@5%=${recallAtFpr(p, y, 0.05).recall.toFixed(4)} ` +
        `at threshold ${at.threshold}: P=${at.precision.toFixed(3)} R=${at.recall.toFixed(3)} FPR=${at.fpr.toFixed(4)}`,
    );
  });
  return out;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'all' },
      data: { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      extra: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const root = packageRoot();
  const dataDir = resolve(values.data ?? join(root, '..', 'shared', 'data'));
  const outDir = resolve(values.out ?? join(root, 'models'));
  const extraDir = resolve(values.extra ?? join(root, 'src', 'classifiers', 'training', 'extra'));
  const seed = Number(values.seed);
  const names: ClassifierName[] = values.model === 'all' ? [...CLASSIFIER_NAMES] : [values.model as ClassifierName];
  for (const n of names) if (!CLASSIFIER_NAMES.includes(n)) throw new Error(`unknown model ${n}`);

  const t0 = Date.now();
  const inputs = loadTrainInputs(dataDir, extraDir);
  console.log(`loaded ${inputs.records.length} records + ${inputs.extra.length} hand-written in ${Date.now() - t0} ms`);
  for (const name of names) {
    const t1 = Date.now();
    const result = trainTask(TASKS[name], inputs, seed, (m) => console.log(m));
    const info = {
      trainedAt: new Date().toISOString().slice(0, 10),
      seed,
      data: result.usage,
      command: `node --import tsx src/classifiers/training/train.ts --model ${name} --seed ${seed}`,
    };
    const params = { ...result.params, header: { ...result.params.header, info } };
    const model = new HashedLinearModel(params);
    for (const line of quickValidation(model, name, inputs)) console.log(line);
    if (!values['dry-run']) {
      const path = join(outDir, name, 'model.bin');
      saveModel(path, params);
      console.log(`wrote ${path} (${Date.now() - t1} ms)`);
    }
  }
}

main();
