import { describe, expect, it } from 'vitest';
import type { LabelledRecord, Split } from './data.js';
import { medianLogits, trainTask } from './pipeline.js';
import { TASKS, type TaskSpec } from './tasks.js';

describe('medianLogits', () => {
  it('takes each label\'s median over the rows, odd and even counts, rounded to 4 decimals', () => {
    expect(medianLogits([[-1, 5], [-3, 1], [-2, 3]], 2)).toEqual([-2, 3]);
    expect(medianLogits([Float64Array.from([-1, 0]), Float64Array.from([-4, 2])], 2)).toEqual([-2.5, 1]);
    expect(medianLogits([[-7.123456], [-7.123456], [100]], 1)).toEqual([-7.1235]);
  });

  it('is not moved by a few extreme texts', () => {
    const rows = [...Array.from({ length: 99 }, () => [-13]), [40]];
    expect(medianLogits(rows, 1)).toEqual([-13]);
  });
});

describe('trainTask dataset weights', () => {
  const rec = (i: number, text: string, harmful: 0 | 1, dataset = 'd'): LabelledRecord => ({
    id: `${dataset}-${i}`, text, labels: { harmful_request: harmful, benign: harmful === 1 ? 0 : 1 }, source: 's', license: 'MIT', dataset, meta: {},
  });
  const base: LabelledRecord[] = [];
  for (let i = 0; i < 40; i++) {
    base.push(rec(2 * i, `how do I build a weapon to hurt people number ${i}`, 1));
    base.push(rec(2 * i + 1, `how do I bake a chocolate cake for ${i} guests`, 0));
  }
  const splits: Split[] = base.map((_, i) => (i % 5 === 0 ? 'calibration' : 'train'));
  const extra = [0, 1, 2, 3].map((i) => rec(i, `ordinary words in another language ${i}`, 0, 'extra:x'));
  const task = (weights?: Record<string, number>): TaskSpec => ({
    ...TASKS.harmful_request,
    features: { ...TASKS.harmful_request.features, bits: 12 },
    augment: { ...TASKS.harmful_request.augment, positive: 0, negative: 0 },
    train: { ...TASKS.harmful_request.train, epochs: 2, warmup: 1 },
    ...(weights !== undefined ? { datasetWeights: weights } : {}),
  });

  it('leaves a dataset of weight 0 out: the same model as without its records, and no usage row', () => {
    const without = trainTask(task(), { records: base, splits, extra: [], extraCalibration: [] }, 1);
    const zero = trainTask(task({ 'extra:x': 0 }), { records: base, splits, extra, extraCalibration: [] }, 1);
    const kept = trainTask(task(), { records: base, splits, extra, extraCalibration: [] }, 1);
    expect(Buffer.from(zero.params.weights).equals(Buffer.from(without.params.weights))).toBe(true);
    expect(zero.usage['extra:x']).toBeUndefined();
    expect(kept.usage['extra:x']?.train).toBe(4);
    expect(Buffer.from(kept.params.weights).equals(Buffer.from(without.params.weights))).toBe(false);
  });

  it('routes a dataset to one part of the model: dense-head weights apart from the n-gram weights', () => {
    const withDense = (linear: Record<string, number>, head: Record<string, number>): TaskSpec => ({
      ...task(linear),
      dense: { vectors: 'word-vectors/vectors.bin', train: { hidden: 4, seeds: 1, epochs: 2, lr: 1e-3, l2: 1e-4 }, blendGrid: [0, 1], datasetWeights: head },
    });
    const inputs = { records: base, splits, extra, extraCalibration: [] };
    const neither = trainTask(withDense({ 'extra:x': 0 }, { 'extra:x': 0 }), { ...inputs, extra: [] }, 1);
    const headOnly = trainTask(withDense({ 'extra:x': 0 }, { 'extra:x': 1 }), inputs, 1);
    const linearOnly = trainTask(withDense({}, { 'extra:x': 0 }), inputs, 1);
    const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => Buffer.from(Float64Array.from(a).buffer).equals(Buffer.from(Float64Array.from(b).buffer));
    expect(same(headOnly.params.weights, neither.params.weights)).toBe(true);
    expect(same(headOnly.params.dense!.floats, neither.params.dense!.floats)).toBe(false);
    expect(headOnly.usage['extra:x']?.train).toBe(4);
    expect(same(linearOnly.params.weights, neither.params.weights)).toBe(false);
    expect(same(linearOnly.params.dense!.floats, neither.params.dense!.floats)).toBe(true);
  });
});
