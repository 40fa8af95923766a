import { describe, expect, it } from 'vitest';
import { MemoryAttemptLimiter } from './attempt-limiter.js';
import { addressUnit, LoginThrottle } from './login-throttle.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('MemoryAttemptLimiter', () => {
  it('counts and refuses atomically, then lets attempts age out', async () => {
    const limiter = new MemoryAttemptLimiter({ max: 2, windowMs: 1000 });
    expect((await limiter.consume('k', 0)).allowed).toBe(true);
    expect((await limiter.consume('k', 100)).allowed).toBe(true);
    expect(await limiter.consume('k', 200)).toMatchObject({ allowed: false, retryAfterMs: 800 });
    expect((await limiter.consume('k', 1000)).allowed).toBe(true);
  });

  it('does not let parallel attempts pass a stale check', async () => {
    const limiter = new MemoryAttemptLimiter({ max: 3, windowMs: 1000 });
    const results = await Promise.all(Array.from({ length: 10 }, () => limiter.consume('k', 0)));
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
  });

  it('evicts the least recently used key beyond maxKeys', async () => {
    const limiter = new MemoryAttemptLimiter({ max: 1, windowMs: 1000, maxKeys: 2 });
    await limiter.consume('a', 0);
    await limiter.consume('b', 0);
    await limiter.consume('c', 0);
    expect((await limiter.consume('a', 1)).allowed).toBe(true);
    expect((await limiter.consume('c', 1)).allowed).toBe(false);
  });
});

describe('LoginThrottle', () => {
  const rules = { account: { maxFailures: 3, windowMs: 60_000 }, address: { maxFailures: 5, windowMs: 60_000 } };

  it('locks an account after its failures, from any address, and reports when the limit is reached', async () => {
    const c = clock();
    const throttle = new LoginThrottle({ ...rules, now: c.now });
    const reached: string[][] = [];
    for (let i = 0; i < 3; i += 1) {
      const v = await throttle.begin('acct', `10.0.0.${i}`);
      if (!v.allowed) throw new Error('refused too early');
      reached.push(throttle.failed(v.ticket));
    }
    expect(reached).toEqual([[], [], ['account']]);
    expect(await throttle.begin('acct', '10.0.0.99')).toMatchObject({ allowed: false, scope: 'account', retryAfterMs: 60_000 });
    c.advance(60_001);
    expect((await throttle.begin('acct', '10.0.0.99')).allowed).toBe(true);
  });

  it('locks an address that sprays many accounts', async () => {
    const throttle = new LoginThrottle(rules);
    for (let i = 0; i < 5; i += 1) {
      const v = await throttle.begin(`acct-${i}`, '10.0.0.1');
      if (v.allowed) throttle.failed(v.ticket);
    }
    expect(await throttle.begin('acct-new', '10.0.0.1')).toMatchObject({ allowed: false, scope: 'address' });
    expect((await throttle.begin('acct-new', '10.0.0.2')).allowed).toBe(true);
  });

  it('clears the account on success but keeps the address count', async () => {
    const throttle = new LoginThrottle(rules);
    for (let i = 0; i < 2; i += 1) {
      const v = await throttle.begin('acct', '10.0.0.1');
      if (v.allowed) throttle.failed(v.ticket);
    }
    const ok = await throttle.begin('acct', '10.0.0.1');
    if (!ok.allowed) throw new Error('refused');
    await throttle.succeeded(ok.ticket);
    const next = await throttle.begin('acct', '10.0.0.1');
    expect(next.allowed && next.ticket.accountCount).toBe(1);
    expect(next.allowed && next.ticket.addressCount).toBe(3);
  });

  it('takes back attempts that ended without a verdict', async () => {
    const throttle = new LoginThrottle({ ...rules, account: { maxFailures: 1, windowMs: 60_000 } });
    const v = await throttle.begin('acct', null);
    if (!v.allowed) throw new Error('refused');
    await throttle.abandoned(v.ticket);
    expect((await throttle.begin('acct', null)).allowed).toBe(true);
  });
});

describe('addressUnit', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['[2001:db8:1:2::9]', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s → %s', (addr, unit) => {
    expect(addressUnit(addr)).toBe(unit);
  });

  it('throttles a whole IPv6 /64 as one address', async () => {
    const throttle = new LoginThrottle({ account: { maxFailures: 100, windowMs: 60_000 }, address: { maxFailures: 2, windowMs: 60_000 } });
    for (const host of ['1', '2']) {
      const v = await throttle.begin(`acct-${host}`, `2001:db8:1:2::${host}`);
      if (v.allowed) throttle.failed(v.ticket);
    }
    expect(await throttle.begin('acct-3', '2001:db8:1:2::3')).toMatchObject({ allowed: false, scope: 'address' });
    expect((await throttle.begin('acct-3', '2001:db8:1:3::3')).allowed).toBe(true);
  });
});
