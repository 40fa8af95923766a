/**
 * Platt scaling and threshold selection on a calibration slice (training
 * groups held out from fitting, never validation groups).
 */
import type { Calibration } from '../model.js';
import { bestFbetaThreshold, thresholdAtFpr } from '../../eval/metrics.js';

/**
 * Fits p = σ(a·z + b) to binary labels by Newton's method on the log loss,
 * with Platt's smoothed targets (so a perfectly separated slice does not
 * produce infinite slopes). `weights` (optional) re-weights examples, e.g. to
 * undo class balancing of the slice.
 */
export function fitPlatt(z: ArrayLike<number>, y: ArrayLike<number>, weights?: ArrayLike<number>): Calibration {
  let npos = 0;
  let nneg = 0;
  for (let i = 0; i < y.length; i++) y[i] === 1 ? npos++ : nneg++;
  if (npos === 0 || nneg === 0) return { a: 1, b: 0 };
  const tPos = (npos + 1) / (npos + 2);
  const tNeg = 1 / (nneg + 2);
  let a = 1;
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < z.length; i++) {
      const w = weights?.[i] ?? 1;
      const t = y[i] === 1 ? tPos : tNeg;
      const p = 1 / (1 + Math.exp(-(a * z[i]! + b)));
      const d = (p - t) * w;
      const h = p * (1 - p) * w;
      ga += d * z[i]!;
      gb += d;
      haa += h * z[i]! * z[i]!;
      hab += h * z[i]!;
      hbb += h;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-18) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    // Damped step: the loss is convex, but keep early steps small.
    const step = iter < 3 ? 0.5 : 1;
    a -= step * da;
    b -= step * db;
    if (Math.abs(da) < 1e-9 && Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}

/** How a label's default threshold is chosen on the calibration slice. */
export type ThresholdPolicy =
  /** Flag at most this fraction of negatives. */
  | { kind: 'fpr'; fpr: number }
  /** Maximise F-beta (beta < 1 favours precision), never below `min`. */
  | { kind: 'fbeta'; beta: number; min: number };

/** Picks a threshold on calibrated probabilities, rounded up to 6 decimals. */
export function chooseThreshold(p: ArrayLike<number>, y: ArrayLike<number>, policy: ThresholdPolicy): number {
  let t: number;
  if (policy.kind === 'fpr') t = thresholdAtFpr(p, y, policy.fpr);
  else t = Math.max(policy.min, bestFbetaThreshold(p, y, policy.beta).threshold);
  if (!Number.isFinite(t)) t = t > 0 ? 1 : 0.5;
  return Math.min(0.999999, Math.ceil(t * 1e6) / 1e6);
}
