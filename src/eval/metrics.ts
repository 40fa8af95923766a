/**
 * Binary classification metrics over scores. Pure functions; `scores[i]` and
 * `labels[i]` (1 positive, 0 negative) describe one example. A text is
 * flagged when its score is ≥ the threshold.
 */

/** Counts and rates at one threshold. */
export interface AtThreshold {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  fpr: number;
}

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

export function atThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): AtThreshold {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i]! >= threshold;
    if (labels[i] === 1) flagged ? tp++ : fn++;
    else flagged ? fp++ : tn++;
  }
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    threshold, tp, fp, tn, fn, precision, recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    fpr: ratio(fp, fp + tn),
  };
}

/** Indices sorted by descending score. */
function byScoreDesc(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]!);
  return order;
}

/** Area under the ROC curve (ties count one half). NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = byScoreDesc(scores);
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < labels.length; i++) labels[i] === 1 ? pos++ : neg++;
  if (pos === 0 || neg === 0) return NaN;
  let area = 0;
  let tp = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    let p = 0;
    let n = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      labels[order[j]!] === 1 ? p++ : n++;
      j++;
    }
    area += n * (tp + p / 2);
    tp += p;
    i = j;
  }
  return area / (pos * neg);
}

/** Average precision (area under the precision-recall curve, step-wise). NaN without positives. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) pos++;
  if (pos === 0) return NaN;
  let ap = 0;
  let tp = 0;
  let seen = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    let p = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) p++;
      j++;
    }
    seen += j - i;
    tp += p;
    ap += (p / pos) * (tp / seen);
    i = j;
  }
  return ap;
}

/**
 * The lowest threshold at which at most `fpr` of the negatives are flagged.
 * With no negatives every score passes (returns -Infinity).
 */
export function thresholdAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number>, fpr: number): number {
  const neg: number[] = [];
  for (let i = 0; i < scores.length; i++) if (labels[i] !== 1) neg.push(scores[i]!);
  if (neg.length === 0) return -Infinity;
  neg.sort((a, b) => b - a);
  const allowed = Math.floor(fpr * neg.length + 1e-9);
  if (allowed >= neg.length) return -Infinity;
  // Flag strictly above the (allowed+1)-th highest negative score.
  const t = neg[allowed]!;
  return t + Math.max(Math.abs(t) * 1e-9, 1e-12);
}

/** Recall at the threshold where the false-positive rate is at most `fpr`. */
export function recallAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number>, fpr: number): { recall: number; threshold: number } {
  const threshold = thresholdAtFpr(scores, labels, fpr);
  return { recall: atThreshold(scores, labels, threshold).recall, threshold };
}

/** Threshold maximising F-beta (beta < 1 favours precision) over the observed scores. */
export function bestFbetaThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, beta: number): AtThreshold {
  const order = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) pos++;
  const b2 = beta * beta;
  let bestT = Infinity;
  let bestF = -1;
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      labels[order[j]!] === 1 ? tp++ : fp++;
      j++;
    }
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, pos);
    const f = precision + recall > 0 ? ((1 + b2) * precision * recall) / (b2 * precision + recall) : 0;
    if (f > bestF) {
      bestF = f;
      bestT = scores[order[i]!]!;
    }
    i = j;
  }
  return atThreshold(scores, labels, bestT);
}
