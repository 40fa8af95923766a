import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureExtractor } from './features.js';
import { decodeModel, encodeModel, HashedLinearModel, loadModel, quantize, saveModel, type ModelParams } from './model.js';

const features = { version: 1 as const, bits: 12, charMin: 3, charMax: 5, wordNgrams: 2 };

/** A tiny two-label model whose weights favour the features of "attack" and "insult". */
function tinyModel(): ModelParams {
  const k = 2;
  const w = new Float32Array((1 << features.bits) * k);
  const fx = new FeatureExtractor(features);
  for (const i of fx.extract('attack attack').idx) w[i * k] = 1;
  for (const i of fx.extract('insult insult').idx) w[i * k + 1] = 1;
  const { q, scale } = quantize(w, k);
  return {
    header: {
      formatVersion: 1, name: 'tiny', labels: ['a', 'b'], features, bias: [-2, -2], scale,
      calibration: [{ a: 1, b: 0 }, { a: 2, b: -1 }], thresholds: { a: 0.5, b: 0.5 },
      windows: { block: 16, sizes: [2], stride: 1 },
    },
    weights: q,
  };
}

describe('model file', () => {
  it('round-trips through encode/decode and save/load with identical scores', () => {
    const params = tinyModel();
    const decoded = decodeModel(encodeModel(params));
    expect(decoded.header).toEqual(params.header);
    expect(decoded.weights).toEqual(params.weights);
    const dir = mkdtempSync(join(tmpdir(), 'sg-model-'));
    const path = join(dir, 'tiny', 'model.bin');
    saveModel(path, params);
    const a = new HashedLinearModel(params);
    const b = loadModel(path);
    for (const t of ['an attack here', 'an insult', 'nothing to see', 'x'.repeat(500) + ' attack']) {
      expect(b.score(t)).toEqual(a.score(t));
    }
  });

  it('rejects files that are not models', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-model-'));
    const path = join(dir, 'bad.bin');
    writeFileSync(path, 'not a model at all');
    expect(() => loadModel(path)).toThrow(/not a Safegate model/);
    const params = tinyModel();
    expect(() => new HashedLinearModel({ ...params, weights: params.weights.subarray(1) })).toThrow(/expected/);
  });
});

describe('scoring', () => {
  const model = new HashedLinearModel(tinyModel());

  it('scores per label in 0..1 and flags by threshold', () => {
    const s = model.score('attack attack attack');
    expect(Object.keys(s)).toEqual(['a', 'b']);
    expect(s.a).toBeGreaterThan(0.5);
    expect(s.b).toBeLessThan(0.5);
    expect(model.flagged(s)).toEqual(['a']);
    expect(model.flagged(model.score('a calm sentence'))).toEqual([]);
  });

  it('finds a short passage inside a long text through windows', () => {
    const filler = 'the weather was mild and the garden was quiet all afternoon. '.repeat(10);
    const plain = model.logits(filler)[0]!;
    const hidden = model.logits(`${filler}attack attack ${filler}`)[0]!;
    expect(hidden).toBeGreaterThan(plain + 1);
  });

  it('scoreBatch matches score', () => {
    const texts = ['attack', 'insult you', ''];
    expect(model.scoreBatch(texts)).toEqual(texts.map((t) => model.score(t)));
  });
});

describe('quantize', () => {
  it('keeps relative weights within one step', () => {
    const w = Float32Array.from([0.5, -0.25, 0.125, 0, 1, -1]);
    const { q, scale } = quantize(w, 2, 1);
    for (let i = 0; i < w.length; i++) expect(Math.abs(q[i]! * scale[i % 2]! - w[i]!)).toBeLessThanOrEqual(scale[i % 2]! / 2 + 1e-9);
  });
});
