import { describe, expect, it } from 'vitest';
import { atThreshold, averagePrecision, bestFbetaThreshold, recallAtFpr, rocAuc, thresholdAtFpr } from './metrics.js';

describe('metrics', () => {
  const scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2];
  const labels = [1, 1, 0, 1, 0, 0, 1, 0];

  it('computes ROC AUC with ties counted half', () => {
    expect(rocAuc([0.1, 0.9], [0, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    // 16 pairs; positives beat negatives in 12 of them.
    expect(rocAuc(scores, labels)).toBeCloseTo(12 / 16, 10);
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
  });

  it('computes average precision step-wise', () => {
    // Precision at each positive: 1/1, 2/2, 3/4, 4/7.
    expect(averagePrecision(scores, labels)).toBeCloseTo((1 + 1 + 0.75 + 4 / 7) / 4, 10);
    expect(averagePrecision([0.3, 0.2], [0, 0])).toBeNaN();
  });

  it('counts at a threshold', () => {
    const at = atThreshold(scores, labels, 0.6);
    expect([at.tp, at.fp, at.tn, at.fn]).toEqual([3, 1, 3, 1]);
    expect(at.precision).toBe(0.75);
    expect(at.recall).toBe(0.75);
    expect(at.fpr).toBe(0.25);
  });

  it('finds the threshold for a false-positive budget', () => {
    const t = thresholdAtFpr(scores, labels, 0.25);
    expect(atThreshold(scores, labels, t).fp).toBeLessThanOrEqual(1);
    expect(recallAtFpr(scores, labels, 0).recall).toBe(0.5);
    expect(recallAtFpr(scores, labels, 0.25).recall).toBe(0.75);
    expect(thresholdAtFpr([0.5], [1], 0.01)).toBe(-Infinity);
  });

  it('picks the F-beta optimal threshold', () => {
    const best = bestFbetaThreshold(scores, labels, 1);
    expect(best.f1).toBeGreaterThanOrEqual(atThreshold(scores, labels, 0.6).f1);
  });
});
