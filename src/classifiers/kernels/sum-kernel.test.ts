import { describe, expect, it } from 'vitest';
import { PACKED_LANES, packTable, SumKernel } from './sum-kernel.js';

/** Deterministic pseudo-random 32-bit integers (xorshift). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x | 0;
  };
}

function randomTable(bytes: number, next: () => number): Int8Array {
  const t = new Int8Array(bytes);
  for (let i = 0; i < bytes; i++) t[i] = next();
  return t;
}

/** The sums a plain loop gives: lane j of bound b at b·lanes + j. */
function reference(table: Int8Array, lanes: number, bits: number, idx: Int32Array, bounds: Int32Array): number[] {
  const out: number[] = [];
  const totals = new Array<number>(lanes).fill(0);
  let i = 0;
  for (const end of bounds) {
    for (; i < end; i++) {
      const bucket = idx[i]! >>> (32 - bits);
      for (let j = 0; j < lanes; j++) totals[j]! += table[bucket * lanes + j]!;
    }
    out.push(...totals);
  }
  return out;
}

describe('SumKernel', () => {
  it.each([1, PACKED_LANES] as const)('sums %i lane(s) at every bound as a plain loop does', (lanes) => {
    const next = rng(7 + lanes);
    const bits = 12;
    const table = randomTable(lanes << bits, next);
    const kernel = new SumKernel(table, lanes, bits);
    for (const n of [0, 1, 5, 255, 256, 257, 1000, 5000]) {
      const idx = Int32Array.from({ length: n }, next);
      const cuts = new Set([0, n]);
      for (let c = 0; c < 6; c++) cuts.add(Math.abs(next()) % (n + 1));
      const bounds = Int32Array.from([...cuts].sort((a, b) => a - b));
      expect(Array.from(kernel.sums(idx, bounds))).toEqual(reference(table, lanes, bits, idx, bounds));
    }
  });

  it('stays exact at the extremes of int8 over long runs (16-bit lanes are flushed in time)', () => {
    for (const w of [-128, 127]) {
      const bits = 8;
      const kernel = new SumKernel(new Int8Array(PACKED_LANES << bits).fill(w), PACKED_LANES, bits);
      const n = 100_000;
      const sums = kernel.sums(new Int32Array(n).fill(0x7fffffff), Int32Array.of(256, 257, n));
      expect(sums[0]).toBe(256 * w);
      expect(sums[PACKED_LANES]).toBe(257 * w);
      expect(sums[2 * PACKED_LANES + 15]).toBe(n * w);
    }
  });

  it('grows its memory for a long text and keeps its table', () => {
    const next = rng(99);
    const table = randomTable(1 << 16, next);
    const kernel = new SumKernel(table, 1, 16);
    const small = Int32Array.from({ length: 10 }, next);
    const before = Array.from(kernel.sums(small, Int32Array.of(10)));
    const big = Int32Array.from({ length: 3_000_000 }, next);
    expect(Array.from(kernel.sums(big, Int32Array.of(1, 3_000_000)))).toEqual(reference(table, 1, 16, big, Int32Array.of(1, 3_000_000)));
    expect(Array.from(kernel.sums(small, Int32Array.of(10)))).toEqual(before);
  });

  it('packs 2..16 labels into sixteen bytes a bucket, zero beyond the last label', () => {
    const q = Int8Array.from([1, 2, 3, -4, -5, -6]);
    const packed = packTable(q, 3);
    expect(Array.from(packed.subarray(0, 4))).toEqual([1, 2, 3, 0]);
    expect(Array.from(packed.subarray(16, 19))).toEqual([-4, -5, -6]);
    expect(packed.subarray(19, 32).every((v) => v === 0)).toBe(true);
    expect(() => packTable(q, 17)).toThrow(/1\.\.16 labels/);
  });

  it('rejects a table of the wrong size', () => {
    expect(() => new SumKernel(new Int8Array(100), 1, 8)).toThrow(/needs 256 bytes, got 100/);
  });
});
