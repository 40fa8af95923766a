/**
 * Platt scaling and threshold selection on a calibration slice (training
 * groups held out from fitting, never validation groups).
 */
import type { Calibration } from '../model.js';
import { bestFbetaThreshold, thresholdAtFpr } from '../../eval/metrics.js';

/**
 * Fits p = σ(a·z + b) to binary labels by damped Newton steps on the log
 * loss, with Platt's smoothed targets and a weak prior pulling (a, b) towards
 * (1, 0), so that a perfectly separated slice yields a finite, moderate
 * slope instead of diverging. Each step is halved until the loss decreases.
 */
export function fitPlatt(z: ArrayLike<number>, y: ArrayLike<number>): Calibration {
  let npos = 0;
  let nneg = 0;
  for (let i = 0; i < y.length; i++) y[i] === 1 ? npos++ : nneg++;
  if (npos === 0 || nneg === 0) return { a: 1, b: 0 };
  const tPos = (npos + 1) / (npos + 2);
  const tNeg = 1 / (nneg + 2);
  const prior = 1;
  const loss = (a: number, b: number): number => {
    let l = prior * ((a - 1) ** 2 + b ** 2) / 2;
    for (let i = 0; i < z.length; i++) {
      const t = y[i] === 1 ? tPos : tNeg;
      const u = a * z[i]! + b;
      // log(1 + e^u) - t·u, computed stably
      l += (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u))) - t * u;
    }
    return l;
  };
  let a = 1;
  let b = 0;
  let current = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = prior * (a - 1);
    let gb = prior * b;
    let haa = prior;
    let hab = 0;
    let hbb = prior;
    for (let i = 0; i < z.length; i++) {
      const t = y[i] === 1 ? tPos : tNeg;
      const p = 1 / (1 + Math.exp(-(a * z[i]! + b)));
      const d = p - t;
      const h = p * (1 - p);
      ga += d * z[i]!;
      gb += d;
      haa += h * z[i]! * z[i]!;
      hab += h * z[i]!;
      hbb += h;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const improved = current - next;
    current = next;
    if (improved < 1e-10) break;
  }
  return { a, b };
}

/**
 * How a label's default threshold is chosen on the calibration slice.
 * `hardNegativeRate`, when set, also caps the share of the hand-written
 * benign-but-scary calibration texts that may be flagged (the higher of the
 * two thresholds wins): a bias against over-blocking.
 */
export type ThresholdPolicy =
  /** Flag at most this fraction of negatives. */
  | { kind: 'fpr'; fpr: number; hardNegativeRate?: number }
  /**
   * Maximise F-beta (beta < 1 favours precision), never below `min`, and,
   * with `maxFpr`, never flagging more than that fraction of the negatives
   * (the training pipeline applies it to the benign calibration records only).
   */
  | { kind: 'fbeta'; beta: number; min: number; maxFpr?: number; hardNegativeRate?: number };

/** Picks a threshold on calibrated probabilities, rounded up to 6 decimals. */
export function chooseThreshold(p: ArrayLike<number>, y: ArrayLike<number>, policy: ThresholdPolicy): number {
  let t: number;
  if (policy.kind === 'fpr') t = thresholdAtFpr(p, y, policy.fpr);
  else {
    t = Math.max(policy.min, bestFbetaThreshold(p, y, policy.beta).threshold);
    if (policy.maxFpr !== undefined) {
      const capped = thresholdAtFpr(p, y, policy.maxFpr);
      if (Number.isFinite(capped)) t = Math.max(t, capped);
    }
  }
  if (!Number.isFinite(t)) t = t > 0 ? 1 : 0.5;
  return Math.min(0.999999, Math.ceil(t * 1e6) / 1e6);
}
