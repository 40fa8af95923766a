import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import { RedisAttemptLimiter, type RedisAttemptLimiterOptions } from './attempt-limiter-redis.js';
import { LoginThrottle } from './login-throttle.js';

const url = process.env.TEST_REDIS_URL;
const prefix = `sgtest:${randomBytes(6).toString('hex')}:`;
const secret = 'test-secret';
let n = 0;

describe.skipIf(!url)('RedisAttemptLimiter', () => {
  const open: RedisAttemptLimiter[] = [];
  /** a separate connection that inspects what the limiters stored */
  let inspect: Redis;
  /** A limiter with its own connection (one "process"); `name` defaults to a fresh one per call site. */
  const limiter = (options: Partial<RedisAttemptLimiterOptions> & { max: number; windowMs: number }) => {
    const l = new RedisAttemptLimiter({ redis: url!, secret, prefix, name: `t${++n}`, ...options });
    open.push(l);
    return l;
  };

  beforeAll(() => {
    inspect = new Redis(url!);
  });

  afterAll(async () => {
    await Promise.all(open.map((l) => l.close()));
    try {
      const keys = await inspect.keys(`${prefix}*`);
      if (keys.length) await inspect.del(...keys);
    } finally {
      await inspect.quit();
    }
  });

  it('counts and refuses like the memory limiter, then lets attempts age out', async () => {
    const l = limiter({ max: 2, windowMs: 1000 });
    expect(await l.consume('k', 0)).toEqual({ allowed: true, retryAfterMs: 0, count: 1 });
    expect(await l.consume('k', 100)).toEqual({ allowed: true, retryAfterMs: 0, count: 2 });
    expect(await l.consume('k', 200)).toEqual({ allowed: false, retryAfterMs: 800, count: 2 });
    expect(await l.consume('k', 1000)).toMatchObject({ allowed: true, count: 2 });
    expect((await l.consume('other', 1000)).count).toBe(1);
  });

  it('shares counts between two limiters (two processes)', async () => {
    const name = `shared${++n}`;
    const a = limiter({ max: 3, windowMs: 60_000, name });
    const b = limiter({ max: 3, windowMs: 60_000, name });
    const now = Date.now();
    expect((await a.consume('acct:x', now)).count).toBe(1);
    expect((await b.consume('acct:x', now + 1)).count).toBe(2);
    expect((await a.consume('acct:x', now + 2)).count).toBe(3);
    expect(await b.consume('acct:x', now + 3)).toMatchObject({ allowed: false, count: 3, retryAfterMs: 59_997 });
    await b.reset('acct:x');
    expect(await a.consume('acct:x', now + 4)).toMatchObject({ allowed: true, count: 1 });
  });

  it('lets a real window pass, and the key expires with it', async () => {
    const l = limiter({ max: 2, windowMs: 300 });
    await l.consume('k', Date.now());
    await l.consume('k', Date.now());
    expect((await l.consume('k', Date.now())).allowed).toBe(false);
    const ttl = await inspect.pttl(l.keyOf('k'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    await sleep(350);
    expect(await inspect.exists(l.keyOf('k'))).toBe(0);
    expect(await l.consume('k', Date.now())).toMatchObject({ allowed: true, count: 1 });
  });

  it('forgets a key on reset and takes back one attempt on release', async () => {
    const l = limiter({ max: 3, windowMs: 60_000 });
    const t = Date.now();
    await l.consume('k', t);
    await l.consume('k', t);
    await l.consume('k', t + 5);
    await l.release('k', t);
    expect((await l.consume('k', t + 6)).count).toBe(3);
    await l.release('k', 12345);
    expect((await l.consume('k', t + 7)).allowed).toBe(false);
    await l.reset('k');
    expect((await l.consume('k', t + 8)).count).toBe(1);
    await l.release('k', t + 8);
    expect(await inspect.exists(l.keyOf('k'))).toBe(0);
  });

  it('counts parallel attempts from two processes exactly', async () => {
    const name = `race${++n}`;
    const a = limiter({ max: 25, windowMs: 60_000, name });
    const b = limiter({ max: 25, windowMs: 60_000, name });
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).consume('k', now)));
    const allowed = results.filter((r) => r.allowed);
    expect(allowed).toHaveLength(25);
    expect(allowed.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(results.filter((r) => !r.allowed).every((r) => r.count === 25)).toBe(true);
  });

  it('namespaces keys and stores no raw address or email pseudonym', async () => {
    const l = limiter({ max: 5, windowMs: 60_000, name: 'sign-in-address' });
    const key = l.keyOf('addr:203.0.113.7');
    expect(key.startsWith(`${prefix}sign-in-address:`)).toBe(true);
    expect(key).not.toContain('203.0.113.7');
    expect(key).toMatch(/:[0-9a-f]{32}$/);
    const other = new RedisAttemptLimiter({ redis: url!, secret: 'another-secret', prefix, name: 'sign-in-address', max: 5, windowMs: 60_000 });
    open.push(other);
    expect(other.keyOf('addr:203.0.113.7')).not.toBe(key);
    await l.consume('addr:203.0.113.7', Date.now());
    const stored = await inspect.keys(`${prefix}*`);
    expect(stored).toContain(key);
    expect(stored.some((k) => k.includes('203.0.113.7'))).toBe(false);
  });

  it('throttles sign-in across two gateway processes', async () => {
    const name = `throttle${++n}`;
    const replica = () =>
      new LoginThrottle({
        account: { maxFailures: 3, windowMs: 60_000 },
        address: { maxFailures: 100, windowMs: 60_000 },
        limiters: { account: limiter({ max: 3, windowMs: 60_000, name: `${name}-a` }), address: limiter({ max: 100, windowMs: 60_000, name: `${name}-b` }) },
      });
    const [one, two] = [replica(), replica()];
    for (const [i, t] of [one, two, one].entries()) {
      const v = await t.begin('em_1', `10.0.0.${i}`);
      if (!v.allowed) throw new Error('refused too early');
      t.failed(v.ticket);
    }
    expect(await two.begin('em_1', '10.0.0.9')).toMatchObject({ allowed: false, scope: 'account' });
  });

  it('fails closed with ACCESS_UNAVAILABLE when Redis is unreachable', async () => {
    const l = new RedisAttemptLimiter({ redis: 'redis://127.0.0.1:1/0', secret, prefix, name: 'down', max: 5, windowMs: 60_000, commandTimeoutMs: 300 });
    try {
      const err = await l.consume('k', Date.now()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ code: 'ACCESS_UNAVAILABLE', status: 503 });
      expect((err as GatewayError).message).toMatch(/could not be counted/);
      await expect(l.release('k', 1)).rejects.toThrow();

      const problems: string[] = [];
      const throttle = new LoginThrottle({
        account: { maxFailures: 5, windowMs: 60_000 },
        address: { maxFailures: 5, windowMs: 60_000 },
        limiters: { account: l, address: l },
        onError: (_err, scope) => problems.push(scope),
      });
      await expect(throttle.begin('em_1', '10.0.0.1')).rejects.toMatchObject({ code: 'ACCESS_UNAVAILABLE' });
      await throttle.succeeded({ accountKey: 'acct:em_1', addressKey: 'addr:10.0.0.1', at: 1, accountCount: 1, addressCount: 1 });
      expect(problems.sort()).toEqual(['account', 'address']);
    } finally {
      await l.close();
    }
  });
});

describe('LoginThrottle with a limiter that cannot count', () => {
  it('refuses the sign-in and takes back the address attempt already counted', async () => {
    const released: string[] = [];
    const failing: AttemptLimiter = {
      consume: async () => {
        throw new Error('down');
      },
      release: async () => undefined,
      reset: async () => undefined,
    };
    const address: AttemptLimiter = {
      consume: async () => ({ allowed: true, retryAfterMs: 0, count: 1 }),
      release: async (key) => void released.push(key),
      reset: async () => undefined,
    };
    const throttle = new LoginThrottle({
      account: { maxFailures: 5, windowMs: 60_000 },
      address: { maxFailures: 5, windowMs: 60_000 },
      limiters: { account: failing, address },
    });
    await expect(throttle.begin('em_1', '10.0.0.1')).rejects.toThrow('down');
    expect(released).toEqual(['addr:10.0.0.1']);
  });
});
