import { describe, expect, it } from 'vitest';
import { runLimitStoreContract } from './contract.js';
import { MemoryLimitStore } from './memory.js';

runLimitStoreContract('memory', async () => new MemoryLimitStore());

describe('MemoryLimitStore', () => {
  it('stays within its entry bound', async () => {
    const store = new MemoryLimitStore({ maxEntries: 16 });
    for (let i = 0; i < 100; i++) await store.take(`k${i}`, { capacity: 1, refillPerSec: 1 }, 0);
    expect((await store.take('k99', { capacity: 1, refillPerSec: 1 }, 0)).allowed).toBe(false);
    expect((await store.take('k0', { capacity: 1, refillPerSec: 1 }, 0)).allowed).toBe(true);
  });
});
