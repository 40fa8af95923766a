import { describe, expect, it } from 'vitest';
import { SpanSet } from './span-set.js';

describe('SpanSet', () => {
  it('starts empty', () => {
    expect(new SpanSet(10).overlaps(0, 10)).toBe(false);
  });

  it.each([
    [0, 2, false],
    [1, 3, false],
    [2, 4, true],
    [4, 6, true],
    [5, 7, true],
    [6, 8, false],
    [0, 10, true],
    [4, 5, true],
  ])('after claiming [3, 6), [%i, %i) overlaps: %s', (start, end, expected) => {
    const s = new SpanSet(10);
    s.add(3, 6);
    expect(s.overlaps(start, end)).toBe(expected);
  });

  it('claims only free ranges', () => {
    const s = new SpanSet(20);
    expect(s.claim(0, 5)).toBe(true);
    expect(s.claim(4, 8)).toBe(false);
    expect(s.claim(5, 8)).toBe(true);
    expect(s.overlaps(7, 9)).toBe(true);
  });

  it('clips ranges to the text', () => {
    const s = new SpanSet(5);
    s.add(3, 50);
    expect(s.overlaps(4, 99)).toBe(true);
    expect(s.overlaps(-5, 3)).toBe(false);
  });
});
