import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyVectors } from '../../test/helpers/tiny-word-vectors.js';
import { decodeDenseHead, denseFloatCount, DenseHead, encodeDenseHead, type DenseHeadSpec } from './dense-head.js';
import { FeatureExtractor } from './features.js';
import { decodeModel, encodeModel, HashedLinearModel, loadModel, quantize, saveModel, type ModelParams } from './model.js';
import { normalizeText } from './normalize.js';
import { modelPath } from './paths.js';
import { chooseBlend, forward, projectHead, splitDenseWeights, trainDense } from './training/dense.js';
import { POOLING } from './word-table.js';
import { WordVectors } from './word-vectors.js';

const K = 2;
const vectors = new WordVectors(tinyVectors());
const INPUTS = vectors.pooledSize;

function randomWeights(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

/** A head as training stores it: trained-layout weights projected through the tiny vectors. */
function storedHead(hidden: number, seed: number, blend = [1, 0.5]): { spec: DenseHeadSpec; head: DenseHead; weights: Float32Array; params: ReturnType<typeof projectHead> } {
  const weights = randomWeights(INPUTS * hidden + hidden + hidden * K + K, seed);
  const params = projectHead(vectors, weights, hidden, K);
  const spec: DenseHeadSpec = { pooling: POOLING, words: params.words.length, wordBytes: 0, hidden, scale: params.scale, blend };
  return { spec, head: new DenseHead(spec, K, params), weights, params };
}

const TEXTS = ['the cat', 'kill the dog', 'nothing known', 'как убить процесс', '', 'the', 'cat cat cat dog'];

describe('dense head', () => {
  it('scores as the trained network does, within the rounding of the int8 table', () => {
    const { head, weights, params } = storedHead(5, 3);
    const [w1, b1, w2, b2] = splitDenseWeights(weights, INPUTS, 5, K);
    // A word's table value is off by at most half a step; a weighted mean of them too, and relu does not enlarge it.
    const bound = [0, 1].map((k) => params.scale.reduce((a, sj, j) => a + (sj / 2) * Math.abs(w2[j * K + k]!), 0) + 1e-9);
    let exact = 0;
    for (const text of TEXTS) {
      const x = new Float64Array(INPUTS);
      vectors.pool(text, x);
      const want = [...forward(x, w1, b1, w2, b2, INPUTS, 5, K, new Float64Array(5))];
      const got = new Float64Array([10, 20]);
      head.addTo(text, got);
      expect(Math.abs(got[0]! - 10 - want[0]!), text).toBeLessThanOrEqual(bound[0]!);
      expect(Math.abs(got[1]! - 20 - 0.5 * want[1]!), text).toBeLessThanOrEqual(0.5 * bound[1]!);
      if (Math.abs(got[0]! - 10 - want[0]!) < 1e-6) exact++;
    }
    // Texts without a known word (and only the zero-weight "the") give exactly relu(b1) through W2.
    expect(exact).toBeGreaterThanOrEqual(3);
  });

  it('computes the documented formula over the stored table exactly', () => {
    const { head, spec, params } = storedHead(4, 5, [1, 1]);
    const weightOf = (r: number): number => r / (r + 100);
    for (const text of TEXTS) {
      const words = (text.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []).map((w) => params.words.indexOf(w)).filter((r) => r >= 0);
      const W = words.reduce((a, r) => a + weightOf(r), 0);
      const c = Math.log1p(words.length) / 5;
      const h = Array.from({ length: 4 }, (_, j) => {
        const pre = W === 0 ? params.floats[4 + j]! : words.reduce((a, r) => a + weightOf(r) * params.table[r * 4 + j]!, 0) / W * spec.scale[j]! + params.floats[j]! * c + params.floats[4 + j]!;
        return Math.max(0, pre);
      });
      const want = [0, 1].map((k) => params.floats[8 + 4 * K + k]! + h.reduce((a, hj, j) => a + hj * params.floats[8 + j * K + k]!, 0));
      const got = new Float64Array(K);
      head.addTo(text, got);
      expect(got[0]).toBeCloseTo(want[0]!, 9);
      expect(got[1]).toBeCloseTo(want[1]!, 9);
    }
  });

  it('round-trips its arrays and rejects ones that do not fit', () => {
    const { spec, params } = storedHead(4, 7);
    const { words, rest } = encodeDenseHead(params);
    const full = { ...spec, wordBytes: words.length };
    const back = decodeDenseHead(full, K, Buffer.concat([words, rest]));
    expect(back.words).toEqual(params.words);
    expect([...back.table]).toEqual([...params.table]);
    expect([...back.floats]).toEqual([...params.floats]);
    expect(() => decodeDenseHead(full, K, Buffer.concat([words, rest]).subarray(1))).toThrow(/expected/);
    expect(() => new DenseHead(spec, K, { ...params, floats: params.floats.subarray(1) })).toThrow(/expected/);
    expect(() => new DenseHead(spec, K, { ...params, table: params.table.subarray(1) })).toThrow(/table values/);
    expect(() => new DenseHead({ ...spec, blend: [1] }, K, params)).toThrow(/blend/);
    expect(() => new DenseHead({ ...spec, scale: [1] }, K, params)).toThrow(/one scale per hidden unit/);
    expect(denseFloatCount(4, K)).toBe(params.floats.length);
  });
});

describe('dense head training', () => {
  // Label 0 is "mentions kill", label 1 is "mentions a dog"; label 1 is unknown for half the examples.
  const texts = ['kill the cat', 'the cat', 'kill the dog', 'the dog', 'kill', 'cat', 'dog', 'the dog the cat'];
  const examples = texts.flatMap((t, i) => Array.from({ length: 20 }, () => {
    const x = new Float64Array(INPUTS);
    vectors.pool(t, x);
    return { x, y: Int8Array.from([t.includes('kill') ? 1 : 0, i % 2 === 0 ? (t.includes('dog') ? 1 : 0) : -1]), w: 1 };
  }));
  const opts = { hidden: 8, seeds: 2, epochs: 60, lr: 0.01, l2: 0 };

  it('learns a separable task and is deterministic for a seed', () => {
    const a = trainDense(examples, INPUTS, K, opts, 1);
    expect([...trainDense(examples, INPUTS, K, opts, 1)]).toEqual([...a]);
    const params = projectHead(vectors, a, 16, K);
    const head = new DenseHead({ pooling: POOLING, words: params.words.length, wordBytes: 0, hidden: 16, scale: params.scale, blend: [1, 1] }, K, params);
    const z = (t: string): number[] => {
      const out = new Float64Array(K);
      head.addTo(t, out);
      return [...out];
    };
    expect(z('kill the cat')[0]).toBeGreaterThan(0);
    expect(z('the cat')[0]).toBeLessThan(0);
    expect(z('the dog')[1]).toBeGreaterThan(z('the cat')[1]!);
  });

  it('stores several networks as one whose output is their mean', () => {
    const one = (seed: number): Float32Array => trainDense(examples, INPUTS, K, { ...opts, seeds: 1, epochs: 3 }, seed);
    const both = trainDense(examples, INPUTS, K, { ...opts, seeds: 2, epochs: 3 }, 1);
    const x = examples[0]!.x;
    const h = new Float64Array(16);
    const zb = [...forward(x, ...splitDenseWeights(both, INPUTS, 16, K), INPUTS, 16, K, h)];
    const z1 = [...forward(x, ...splitDenseWeights(one(1), INPUTS, 8, K), INPUTS, 8, K, h)];
    const z2 = [...forward(x, ...splitDenseWeights(one(1 + 7919), INPUTS, 8, K), INPUTS, 8, K, h)];
    zb.forEach((v, c) => expect(v).toBeCloseTo((z1[c]! + z2[c]!) / 2, 5));
  });

  it('chooses no blend for a head that carries no signal, and some for one that does', () => {
    const y = Array.from({ length: 200 }, (_, i) => Int8Array.from([i % 4 === 0 ? 1 : 0]));
    const weak = y.map((v, i) => Float64Array.from([v[0]! * 0.2 + ((i * 7919) % 13) / 13]));
    const noise = y.map((_, i) => Float64Array.from([((i * 104729) % 17) / 17]));
    const signal = y.map((v) => Float64Array.from([v[0]! * 5]));
    expect(chooseBlend(weak, noise, y, [0, 0.5, 1]).blend).toBe(0);
    expect(chooseBlend(weak, signal, y, [0, 0.5, 1]).blend).toBeGreaterThan(0);
  });
});

describe('model with a dense head', () => {
  const features = { version: 1 as const, bits: 10, charMin: 3, charMax: 5, wordNgrams: 2 };
  const { spec, params: headParams } = storedHead(4, 11);
  function params(): ModelParams {
    const w = new Float32Array((1 << features.bits) * K);
    for (const i of new FeatureExtractor(features).extract('kill kill').idx) w[i * K] = 1;
    const { q, scale } = quantize(w, K);
    return {
      header: {
        formatVersion: 1, name: 'tiny-dense', labels: ['a', 'b'], features, bias: [-1, -1], scale,
        calibration: [{ a: 1, b: 0 }, { a: 1, b: 0 }], thresholds: { a: 0.5, b: 0.5 }, dense: spec,
      },
      weights: q,
      dense: headParams,
    };
  }

  it('adds blend × head output to the linear logits, and round-trips through the file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sg-dense-')), 'tiny', 'model.bin');
    saveModel(path, params());
    const model = loadModel(path);
    const { dense: _, ...linearHeader } = params().header;
    const linear = new HashedLinearModel({ header: linearHeader, weights: params().weights });
    const head = new DenseHead(spec, K, headParams);
    for (const text of ['kill the cat', 'the dog', '', 'KILL the d0g']) {
      const want = linear.logits(text);
      head.addTo(normalizeText(text).text, want);
      expect([...model.logits(text)].map((v) => v.toFixed(9))).toEqual([...want].map((v) => v.toFixed(9)));
    }
  });

  it('fails with a clear error when the head is missing, cut or of another pooling', () => {
    const { dense: _, ...noHead } = params();
    expect(() => new HashedLinearModel(noHead)).toThrow(/has none/);
    expect(() => encodeModel(noHead)).toThrow(/both/);
    const bytes = encodeModel(params());
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 3))).toThrow(/dense head is .* bytes, expected/);
    expect(() => decodeModel(bytes.subarray(0, 8 + bytes.readUInt32LE(4) + 10))).toThrow(/dense head is .* bytes, expected/);
    expect(() => new HashedLinearModel({ ...params(), header: { ...params().header, dense: { ...spec, pooling: 'other' } } })).toThrow(/pooling other/);
    const { hidden: _h, ...noHidden } = spec;
    expect(() => decodeDenseHead(noHidden as DenseHeadSpec, K, Buffer.alloc(0))).toThrow(/hidden is missing/);
  });

  it('the shipped moderation model has a dense head and scores every kind of text', () => {
    const model = loadModel(modelPath('moderation'));
    expect(model.header.dense?.pooling).toBe(POOLING);
    for (const text of ['', 'hello', 'I will hurt you', 'x'.repeat(20_000), 'Как дела? 你好']) {
      for (const z of model.logits(text)) expect(Number.isFinite(z)).toBe(true);
    }
    expect(readFileSync(modelPath('moderation')).length).toBeLessThan(16 * 1024 * 1024);
  });
});
