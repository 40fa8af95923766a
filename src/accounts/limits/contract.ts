/**
 * The behaviour every `LimitStore` must show; `memory.test.ts` and
 * `redis.test.ts` run it. The factory returns a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LimitStore } from './types.js';

const T0 = Date.UTC(2025, 0, 1, 12);
const DAY = 86_400_000;

export function runLimitStoreContract(name: string, make: () => Promise<LimitStore>): void {
  describe(`limit store contract: ${name}`, () => {
    let store: LimitStore;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts full, takes down to empty, then refuses with a retry delay', async () => {
      const spec = { capacity: 3, refillPerSec: 1 };
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await store.take('b', spec, T0));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
      expect(results[3]!.retryAfterMs).toBe(1000);
      expect(results[2]!.resetMs).toBe(3000);
    });

    it('refills with time, never beyond capacity', async () => {
      const spec = { capacity: 2, refillPerSec: 2 };
      await store.take('r', spec, T0, 2);
      expect((await store.take('r', spec, T0 + 250)).allowed).toBe(false);
      expect((await store.take('r', spec, T0 + 500)).allowed).toBe(true);
      expect((await store.take('r', spec, T0 + 60_000)).remaining).toBe(1);
    });

    it('does not refill when a clock runs behind', async () => {
      const spec = { capacity: 1, refillPerSec: 1 };
      await store.take('skew', spec, T0 + 5000);
      expect((await store.take('skew', spec, T0)).allowed).toBe(false);
    });

    it('clamps the content when the capacity drops', async () => {
      await store.take('c', { capacity: 10, refillPerSec: 1 }, T0);
      const r = await store.take('c', { capacity: 2, refillPerSec: 0.1 }, T0);
      expect(r).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('keeps buckets apart', async () => {
      const spec = { capacity: 1, refillPerSec: 0.01 };
      expect((await store.take('x', spec, T0)).allowed).toBe(true);
      expect((await store.take('x', spec, T0)).allowed).toBe(false);
      expect((await store.take('y', spec, T0)).allowed).toBe(true);
    });

    it('never takes more than the bucket holds under concurrent takes', async () => {
      const spec = { capacity: 25, refillPerSec: 0.001 };
      const results = await Promise.all(Array.from({ length: 100 }, () => store.take('race', spec, T0)));
      expect(results.filter((r) => r.allowed)).toHaveLength(25);
    });

    it('counts usage per fixed window and starts over in the next', async () => {
      expect(await store.usage('u', DAY, T0)).toBe(0);
      expect(await store.addUsage('u', 100, DAY, T0)).toBe(100);
      expect(await store.addUsage('u', 50, DAY, T0 + 1000)).toBe(150);
      expect(await store.usage('u', DAY, T0 + 2000)).toBe(150);
      expect(await store.usage('u', DAY, T0 + DAY)).toBe(0);
      expect(await store.usage('other', DAY, T0)).toBe(0);
      const totals = await Promise.all(Array.from({ length: 50 }, () => store.addUsage('many', 2, DAY, T0)));
      expect(Math.max(...totals)).toBe(100);
    });
  });
}
