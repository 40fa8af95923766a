import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runLimitStoreContract } from './contract.js';
import { RedisLimitStore } from './redis.js';

const url = process.env.TEST_REDIS_URL;
const prefix = `sgtest:${randomBytes(6).toString('hex')}:`;
let n = 0;

describe.skipIf(!url)('redis limit store', () => {
  afterAll(async () => {
    const redis = new Redis(url!);
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      await redis.quit();
    }
  });

  runLimitStoreContract('redis', async () => new RedisLimitStore({ redis: url!, prefix: `${prefix}${++n}:` }));

  it('shares buckets between two clients (two replicas)', async () => {
    const p = `${prefix}shared:`;
    const a = new RedisLimitStore({ redis: url!, prefix: p });
    const b = new RedisLimitStore({ redis: url!, prefix: p });
    try {
      const spec = { capacity: 10, refillPerSec: 0.001 };
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).take('k', spec, Date.now())));
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('expires keys once they carry no information', async () => {
    const p = `${prefix}ttl:`;
    const store = new RedisLimitStore({ redis: url!, prefix: p });
    try {
      await store.take('k', { capacity: 2, refillPerSec: 1 }, Date.now());
      await store.addUsage('u', 5, 60_000, Date.now());
      const ttls = await Promise.all((await store.client.keys(`${p}*`)).map((k) => store.client.pttl(k)));
      expect(ttls).toHaveLength(2);
      for (const ttl of ttls) expect(ttl).toBeGreaterThan(0);
      for (const ttl of ttls) expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      await store.close();
    }
  });

  it('rejects (rather than admits) when Redis is unreachable', async () => {
    const store = new RedisLimitStore({ redis: 'redis://127.0.0.1:1/0', prefix, commandTimeoutMs: 300 });
    try {
      await expect(store.take('k', { capacity: 1, refillPerSec: 1 }, Date.now())).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});
