import { describe, expect, it } from 'vitest';
import { contentKey, TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('expires entries after the time to live', () => {
    let now = 0;
    const c = new TtlCache<number>(1000, 10, () => now);
    c.set('a', 1);
    now = 999;
    expect(c.get('a')).toBe(1);
    now = 1000;
    expect(c.get('a')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its size', () => {
    const c = new TtlCache<number>(Number.POSITIVE_INFINITY, 2);
    c.set('a', 1);
    c.set('b', 2);
    c.get('a');
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([1, undefined, 3]);
  });

  it('stores nothing with a zero time to live, and drops rejected promises', async () => {
    const off = new TtlCache<number>(0, 10);
    off.set('a', 1);
    expect(off.get('a')).toBeUndefined();
    const c = new TtlCache<Promise<number>>(1000, 10);
    const failing = Promise.reject(new Error('down'));
    c.set('a', failing);
    await failing.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect(c.get('a')).toBeUndefined();
  });

  it('keys by content without ambiguity', () => {
    expect(contentKey('ab', 'c')).not.toBe(contentKey('a', 'bc'));
    expect(contentKey('x')).toMatch(/^[0-9a-f]{64}$/);
  });
});
