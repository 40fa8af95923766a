/**
 * Fitting a dense head (see `dense-head.ts`): a one-hidden-layer network per
 * seed, masked multi-label logistic loss (unknown labels do not count),
 * Adam, L2 on the weight matrices. The seeds' networks are stored side by side
 * as one head that outputs their mean.
 */
import { averagePrecision } from '../../eval/metrics.js';
import type { DenseHeadParams } from '../dense-head.js';
import type { WordVectors } from '../word-vectors.js';
import { Rng } from './augment.js';

export interface DenseTrainOptions {
  /** Hidden units per network. */
  hidden: number;
  /** Networks averaged (each from its own seed). */
  seeds: number;
  epochs: number;
  /** Adam step size. */
  lr: number;
  l2: number;
  batch?: number;
}

export interface DenseExample {
  /** Pooled word vectors. */
  x: Float64Array;
  /** Per label: 1, 0, or -1 (unknown). */
  y: Int8Array;
  w: number;
  /** Per-label weight multipliers. */
  lw?: Float32Array;
}

/** Float32 weights W1 (inputs × hidden, input-major), b1, W2 (hidden × k), b2, for `seeds × hidden` hidden units. */
export function trainDense(examples: readonly DenseExample[], inputs: number, k: number, opts: DenseTrainOptions, seed: number, log: (m: string) => void = () => {}): Float32Array {
  const nets = Array.from({ length: opts.seeds }, (_, s) => trainOne(examples, inputs, k, opts, seed + 7919 * s, log));
  const H = opts.hidden;
  const total = H * opts.seeds;
  const w1 = new Float32Array(inputs * total);
  const b1 = new Float32Array(total);
  const w2 = new Float32Array(total * k);
  const b2 = new Float32Array(k);
  nets.forEach((n, s) => {
    for (let i = 0; i < inputs; i++) for (let j = 0; j < H; j++) w1[i * total + s * H + j] = n.w1[i * H + j]!;
    for (let j = 0; j < H; j++) b1[s * H + j] = n.b1[j]!;
    for (let j = 0; j < H; j++) for (let c = 0; c < k; c++) w2[(s * H + j) * k + c] = n.w2[j * k + c]! / opts.seeds;
    for (let c = 0; c < k; c++) b2[c]! += n.b2[c]! / opts.seeds;
  });
  const out = new Float32Array(w1.length + b1.length + w2.length + b2.length);
  out.set(w1, 0);
  out.set(b1, w1.length);
  out.set(w2, w1.length + b1.length);
  out.set(b2, w1.length + b1.length + w2.length);
  return out;
}

function trainOne(examples: readonly DenseExample[], inputs: number, k: number, opts: DenseTrainOptions, seed: number, log: (m: string) => void) {
  const H = opts.hidden;
  const rng = new Rng(seed);
  const init = (n: number, fanIn: number, fanOut: number): Float32Array => {
    const r = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * r);
  };
  const w1 = init(inputs * H, inputs, H);
  const b1 = new Float32Array(H);
  const w2 = init(H * k, H, k);
  const b2 = new Float32Array(k).fill(-2);
  const params = [w1, b1, w2, b2];
  const decay = [true, false, true, false];
  const m = params.map((p) => new Float32Array(p.length));
  const v = params.map((p) => new Float32Array(p.length));
  const g = params.map((p) => new Float32Array(p.length));
  const h = new Float64Array(H);
  const dh = new Float64Array(H);
  const batch = opts.batch ?? 32;
  const order = examples.map((_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let loss = 0;
    for (let start = 0; start < order.length; start += batch) {
      for (const gp of g) gp.fill(0);
      const end = Math.min(order.length, start + batch);
      for (let b = start; b < end; b++) {
        const e = examples[order[b]!]!;
        const z = forward(e.x, w1, b1, w2, b2, inputs, H, k, h);
        dh.fill(0);
        for (let c = 0; c < k; c++) {
          const y = e.y[c]!;
          if (y < 0) continue;
          const p = 1 / (1 + Math.exp(-z[c]!));
          const wk = e.w * (e.lw?.[c] ?? 1);
          loss -= wk * Math.log((y === 1 ? p : 1 - p) + 1e-9);
          const dz = wk * (p - y);
          g[3]![c]! += dz;
          for (let j = 0; j < H; j++) {
            if (h[j] === 0) continue;
            g[2]![j * k + c]! += dz * h[j]!;
            dh[j]! += dz * w2[j * k + c]!;
          }
        }
        for (let j = 0; j < H; j++) {
          if (h[j] === 0 || dh[j] === 0) continue;
          g[1]![j]! += dh[j]!;
          for (let i = 0; i < inputs; i++) {
            const xi = e.x[i]!;
            if (xi !== 0) g[0]![i * H + j]! += dh[j]! * xi;
          }
        }
      }
      step++;
      const c1 = 1 - 0.9 ** step;
      const c2 = 1 - 0.999 ** step;
      const n = end - start;
      params.forEach((p, pi) => {
        const gp = g[pi]!;
        const mp = m[pi]!;
        const vp = v[pi]!;
        for (let i = 0; i < p.length; i++) {
          const gi = gp[i]! / n + (decay[pi] ? opts.l2 * p[i]! : 0);
          mp[i] = 0.9 * mp[i]! + 0.1 * gi;
          vp[i] = 0.999 * vp[i]! + 0.001 * gi * gi;
          p[i]! -= (opts.lr * mp[i]! / c1) / (Math.sqrt(vp[i]! / c2) + 1e-8);
        }
      });
    }
    if (epoch === opts.epochs - 1) log(`  dense head seed ${seed}: ${opts.epochs} epochs, mean loss ${(loss / Math.max(examples.length, 1)).toFixed(4)}`);
  }
  return { w1, b1, w2, b2 };
}

/**
 * The head's blend weight, shared by all labels: the grid value with the
 * highest mean AUPRC (over labels with positives) of linear + β · head on the
 * calibration records. `y[i][k]` is 1, 0 or -1 (unknown).
 */
export function chooseBlend(linear: readonly Float64Array[], head: readonly Float64Array[], y: readonly Int8Array[], grid: readonly number[]): { blend: number; auprc: number[] } {
  const k = y[0]?.length ?? 0;
  const results = grid.map((beta) => {
    let sum = 0;
    let n = 0;
    for (let c = 0; c < k; c++) {
      const p: number[] = [];
      const t: number[] = [];
      y.forEach((ys, i) => {
        if (ys[c]! < 0) return;
        t.push(ys[c]!);
        p.push(linear[i]![c]! + beta * head[i]![c]!);
      });
      if (!t.includes(1) || !t.includes(0)) continue;
      sum += averagePrecision(p, t);
      n++;
    }
    return n > 0 ? sum / n : 0;
  });
  let best = 0;
  results.forEach((r, i) => {
    if (r > results[best]!) best = i;
  });
  return { blend: grid[best]!, auprc: results };
}

const zBuf = new Float64Array(64);

/**
 * One forward pass of the network as trained; `h` receives the hidden
 * activations. Returns the outputs in a buffer reused by the next call.
 */
export function forward(
  x: Float64Array, w1: Float32Array, b1: Float32Array, w2: Float32Array, b2: Float32Array,
  inputs: number, hidden: number, k: number, h: Float64Array,
): Float64Array {
  h.set(b1);
  for (let i = 0; i < inputs; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * hidden;
    for (let j = 0; j < hidden; j++) h[j]! += xi * w1[row + j]!;
  }
  const z = k <= zBuf.length ? zBuf : new Float64Array(k);
  for (let j = 0; j < k; j++) z[j] = b2[j]!;
  for (let u = 0; u < hidden; u++) {
    const a = h[u]!;
    if (a <= 0) {
      h[u] = 0;
      continue;
    }
    const row = u * k;
    for (let j = 0; j < k; j++) z[j]! += a * w2[row + j]!;
  }
  return z;
}

/** W1, b1, W2, b2 as views into `trainDense`'s output. */
export function splitDenseWeights(w: Float32Array, inputs: number, hidden: number, k: number): [Float32Array, Float32Array, Float32Array, Float32Array] {
  let at = 0;
  const take = (n: number): Float32Array => w.subarray(at, (at += n));
  return [take(inputs * hidden), take(hidden), take(hidden * k), take(k)];
}

/**
 * The stored form of a trained head (see `dense-head.ts`): every word's
 * vector times the mean part of W1, quantised to int8 with one scale per
 * hidden unit (its largest magnitude maps to 127), and the remaining weights.
 */
export function projectHead(vectors: WordVectors, weights: Float32Array, hidden: number, k: number): DenseHeadParams & { scale: number[] } {
  const d = vectors.dims;
  const inputs = vectors.pooledSize;
  const [w1, b1, w2, b2] = splitDenseWeights(weights, inputs, hidden, k);
  const count = vectors.words.length;
  const projected = new Float64Array(count * hidden);
  const row = new Float64Array(d);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < d; i++) row[i] = vectors.vectors[r * d + i]! * vectors.scale[i]!;
    for (let i = 0; i < d; i++) {
      const v = row[i]!;
      if (v === 0) continue;
      for (let j = 0; j < hidden; j++) projected[r * hidden + j]! += v * w1[i * hidden + j]!;
    }
  }
  const scale = Array.from({ length: hidden }, (_, j) => {
    let m = 0;
    for (let r = 0; r < count; r++) m = Math.max(m, Math.abs(projected[r * hidden + j]!));
    return m > 0 ? m / 127 : 1;
  });
  const table = new Int8Array(count * hidden);
  for (let i = 0; i < table.length; i++) table[i] = Math.round(projected[i]! / scale[i % hidden]!);
  const floats = new Float32Array(2 * hidden + hidden * k + k);
  floats.set(w1.subarray(d * hidden, (d + 1) * hidden), 0);
  floats.set(b1, hidden);
  floats.set(w2, 2 * hidden);
  floats.set(b2, 2 * hidden + hidden * k);
  return { words: [...vectors.words], table, scale, floats };
}
