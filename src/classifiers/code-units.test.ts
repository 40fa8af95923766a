import { describe, expect, it } from 'vitest';
import { CodeUnits } from './code-units.js';

const unitsOf = (s: string): number[] => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));

describe('CodeUnits', () => {
  it('copies every code unit, lone surrogates and two-byte characters included, with spaces around', () => {
    const cu = new CodeUnits();
    const s = 'a\ud800b\udc00é😀Ж';
    const u = cu.load(s, 1);
    expect(u[0]).toBe(32);
    expect(Array.from(u.subarray(1, s.length + 1))).toEqual(unitsOf(s));
    expect(u[s.length + 1]).toBe(32);
    const v = cu.load(s, 0);
    expect(Array.from(v.subarray(0, s.length))).toEqual(unitsOf(s));
    expect(v[s.length]).toBe(32);
  });

  it('grows for long texts and reuses its buffer for short ones', () => {
    const cu = new CodeUnits();
    const long = 'xyz'.repeat(50_000);
    const u = cu.load(long, 1);
    expect(u[long.length]).toBe(122);
    expect(u[long.length + 1]).toBe(32);
    const short = cu.load('ab', 0);
    expect(short).toBe(u);
    expect([short[0], short[1], short[2]]).toEqual([97, 98, 32]);
  });

  it('loads the empty string as a lone sentinel', () => {
    const cu = new CodeUnits();
    expect(cu.load('', 0)[0]).toBe(32);
    const u = cu.load('', 1);
    expect([u[0], u[1]]).toEqual([32, 32]);
  });
});
