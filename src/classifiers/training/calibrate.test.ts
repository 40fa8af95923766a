import { describe, expect, it } from 'vitest';
import { chooseThreshold, fitPlatt } from './calibrate.js';

describe('fitPlatt', () => {
  it('recovers a known slope and offset', () => {
    const z: number[] = [];
    const y: number[] = [];
    // Deterministic sample from p = σ(2z - 1).
    for (let i = 0; i < 4000; i++) {
      const zi = ((i * 7919) % 4000) / 500 - 4;
      const p = 1 / (1 + Math.exp(-(2 * zi - 1)));
      z.push(zi);
      y.push(((i * 104729) % 1000) / 1000 < p ? 1 : 0);
    }
    const { a, b } = fitPlatt(z, y);
    expect(a).toBeGreaterThan(1.6);
    expect(a).toBeLessThan(2.4);
    expect(b).toBeGreaterThan(-1.4);
    expect(b).toBeLessThan(-0.6);
  });

  it('stays finite on perfectly separated data', () => {
    const { a, b } = fitPlatt([-3, -2, -1, 1, 2, 3], [0, 0, 0, 1, 1, 1]);
    expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
    expect(Math.abs(a)).toBeLessThan(20);
  });
});

describe('chooseThreshold', () => {
  it('flags at most the allowed share of negatives', () => {
    const p = Array.from({ length: 200 }, (_, i) => i / 200);
    const y = p.map((_, i) => (i >= 150 ? 1 : 0));
    const t = chooseThreshold(p, y, { kind: 'fpr', fpr: 0.02 });
    const fp = p.filter((v, i) => y[i] === 0 && v >= t).length;
    expect(fp).toBeLessThanOrEqual(3);
    expect(t).toBeLessThanOrEqual(0.75);
  });
});
