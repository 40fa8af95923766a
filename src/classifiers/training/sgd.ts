/**
 * Multi-label logistic regression over hashed features, trained with AdaGrad.
 *
 * Each example is a bag of bucket indices (with repetition) plus the ranges
 * `HashedLinearModel` scores (whole text, windows, decoded payloads). After
 * `warmup` epochs on whole texts, each label is trained on its highest-scoring
 * range (max pooling, as at inference): for a negative that is its most
 * suspicious window (hard negative), for a positive the window most likely to
 * hold the attack. Labels are 1, 0 or -1 (unknown); unknown labels contribute
 * no loss, so one model can learn from datasets that label different subsets
 * of its outputs.
 */
import { Rng } from './augment.js';

export interface Example {
  idx: Int32Array;
  /** Pairs [start, end) into `idx`; the first pair is the whole text. */
  ranges: Int32Array;
  /** Per label: 1, 0, or -1 for unknown (masked out of the loss). */
  y: Int8Array;
  /** Sample weight (e.g. to down-weight augmented copies). */
  w: number;
  /** Optional per-label weight multipliers (e.g. for weak labels), default 1. */
  lw?: Float32Array;
}

export interface TrainOptions {
  epochs: number;
  /** AdaGrad base learning rate. */
  lr: number;
  /** L2 penalty applied to touched weights at each update. */
  l2: number;
  seed: number;
  /** Epochs trained on whole texts only before max pooling over ranges starts. */
  warmup: number;
  /**
   * Per-label weight of positives relative to negatives is (nNeg/nPos)^balance:
   * 0 leaves the classes as they are, 1 fully balances them.
   */
  balance: number;
  /**
   * Polyak averaging: the returned weights are the mean of the weights at the
   * end of each of the last `average` epochs (0 or absent: the final weights).
   */
  average?: number;
  log?: (msg: string) => void;
}

export interface LinearWeights {
  bits: number;
  k: number;
  /** Float weights, `2^bits × k`, bucket-major. */
  weights: Float32Array;
  bias: Float64Array;
}

/** Per-label positive and negative example weights from the label counts. */
function classWeights(examples: readonly Example[], k: number, balance: number): { pos: number[]; neg: number[] } {
  const npos = new Array<number>(k).fill(0);
  const nneg = new Array<number>(k).fill(0);
  for (const ex of examples) {
    for (let j = 0; j < k; j++) {
      const w = ex.w * (ex.lw?.[j] ?? 1);
      if (ex.y[j] === 1) npos[j]! += w;
      else if (ex.y[j] === 0) nneg[j]! += w;
    }
  }
  const pos: number[] = [];
  const neg: number[] = [];
  for (let j = 0; j < k; j++) {
    const p = Math.max(npos[j]!, 1);
    const n = Math.max(nneg[j]!, 1);
    const ratio = Math.pow(n / p, balance);
    // Normalise so the average example weight stays about 1.
    const norm = (p + n) / (p * ratio + n);
    pos.push(ratio * norm);
    neg.push(norm);
  }
  return { pos, neg };
}

export function trainLinear(examples: readonly Example[], k: number, bits: number, opts: TrainOptions): LinearWeights {
  const size = (1 << bits) * k;
  const weights = new Float32Array(size);
  const g2 = new Float32Array(size);
  const bias = new Float64Array(k);
  const bg2 = new Float64Array(k);
  const cw = classWeights(examples, k, opts.balance);
  const order = examples.map((_, i) => i);
  const rng = new Rng(opts.seed);
  const err = new Float64Array(k);
  const best = new Int32Array(k);
  let cum = new Float64Array(1 << 16);
  const eps = 1e-6;
  const nAvg = Math.min(opts.average ?? 0, opts.epochs);
  const avgW = nAvg > 1 ? new Float32Array(size) : undefined;
  const avgB = nAvg > 1 ? new Float64Array(k) : undefined;
  const update = (idx: Int32Array, a: number, b: number, j: number, e: number): void => {
    const v = 1 / Math.sqrt(b - a);
    for (let i = a; i < b; i++) {
      const pi = idx[i]! * k + j;
      const g = e * v + opts.l2 * weights[pi]!;
      const acc = g2[pi]! + g * g;
      g2[pi] = acc;
      weights[pi]! -= (opts.lr * g) / (Math.sqrt(acc) + eps);
    }
  };
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    rng.shuffle(order);
    const pooled = epoch >= opts.warmup;
    let loss = 0;
    let seen = 0;
    for (const oi of order) {
      const ex = examples[oi]!;
      const { idx, y } = ex;
      const n = idx.length;
      if (n === 0) continue;
      const nr = pooled ? ex.ranges.length : 2;
      if (cum.length < (n + 1) * k) cum = new Float64Array((n + 1) * k * 2);
      for (let j = 0; j < k; j++) cum[j] = 0;
      for (let i = 0; i < n; i++) {
        const base = idx[i]! * k;
        const from = i * k;
        for (let j = 0; j < k; j++) cum[from + k + j] = cum[from + j]! + weights[base + j]!;
      }
      let any = false;
      for (let j = 0; j < k; j++) {
        const t = y[j]!;
        err[j] = 0;
        if (t < 0) continue;
        let zBest = -Infinity;
        for (let r = 0; r < nr; r += 2) {
          const a = ex.ranges[r]!;
          const b = ex.ranges[r + 1]!;
          if (b <= a) continue;
          const z = bias[j]! + (cum[b * k + j]! - cum[a * k + j]!) / Math.sqrt(b - a);
          if (z > zBest) {
            zBest = z;
            best[j] = r;
          }
        }
        if (zBest === -Infinity) continue;
        const p = 1 / (1 + Math.exp(-zBest));
        const sw = ex.w * (ex.lw?.[j] ?? 1) * (t === 1 ? cw.pos[j]! : cw.neg[j]!);
        err[j] = (p - t) * sw;
        loss += -sw * (t === 1 ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
        seen += sw;
        any = true;
        const gb = err[j]!;
        bg2[j]! += gb * gb;
        bias[j]! -= (opts.lr * gb) / (Math.sqrt(bg2[j]!) + eps);
      }
      if (!any) continue;
      let shared = true;
      for (let j = 1; j < k; j++) if (best[j] !== best[0]) shared = false;
      if (shared && k > 1) {
        const a = ex.ranges[best[0]!]!;
        const b = ex.ranges[best[0]! + 1]!;
        const v = 1 / Math.sqrt(b - a);
        for (let i = a; i < b; i++) {
          const base = idx[i]! * k;
          for (let j = 0; j < k; j++) {
            const e = err[j]!;
            if (e === 0) continue;
            const pi = base + j;
            const g = e * v + opts.l2 * weights[pi]!;
            const acc = g2[pi]! + g * g;
            g2[pi] = acc;
            weights[pi]! -= (opts.lr * g) / (Math.sqrt(acc) + eps);
          }
        }
      } else {
        for (let j = 0; j < k; j++) {
          if (err[j] !== 0) update(idx, ex.ranges[best[j]!]!, ex.ranges[best[j]! + 1]!, j, err[j]!);
        }
      }
    }
    opts.log?.(`epoch ${epoch + 1}/${opts.epochs}${pooled ? ' (pooled)' : ''} loss ${(loss / Math.max(seen, 1)).toFixed(4)}`);
    if (avgW !== undefined && avgB !== undefined && epoch >= opts.epochs - nAvg) {
      for (let i = 0; i < size; i++) avgW[i]! += weights[i]! / nAvg;
      for (let j = 0; j < k; j++) avgB[j]! += bias[j]! / nAvg;
    }
  }
  if (avgW !== undefined && avgB !== undefined) return { bits, k, weights: avgW, bias: avgB };
  return { bits, k, weights, bias };
}
