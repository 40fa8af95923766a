/**
 * Brute-force protection of password sign-in: throttled per account (from
 * any address) and per address (across accounts), identically for accounts
 * that do not exist; similar timing for unknown addresses and wrong
 * passwords; mail about one address limited without telling anyone.
 * Addresses are simulated with X-Forwarded-For behind trustProxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, freePort, readOutbox, waitForMail } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const PASSWORD = 'violet tractor humming softly';
let gw: TestGateway;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gw = await startGateway({ server: { port, trustProxy: true }, accounts: { throttle: { account: { maxFailures: 5, window: '15m' }, address: { maxFailures: 20, window: '15m' } } } });
  for (const email of ['target@example.com', 'other@example.com', 'timing@example.com', 'mail@example.com']) {
    const res = await from('10.9.9.9').post('/auth/sign-up/email', { email, password: PASSWORD, name: 'x' });
    expect(res.status).toBe(200);
  }
});

afterAll(async () => {
  await gw?.close();
});

function from(addr: string): Browser {
  return new Browser(base, { headers: { 'x-forwarded-for': addr } });
}

const signIn = (addr: string, email: string, password: string) => from(addr).post('/auth/sign-in/email', { email, password });

describe('sign-in throttling', () => {
  it('locks an account after 5 failures from any addresses, even for the right password, and records it', async () => {
    for (let i = 0; i < 5; i += 1) expect((await signIn(`10.2.0.${i}`, 'target@example.com', `wrong guess number ${i}`)).status).toBe(401);
    const res = await signIn('10.2.0.200', 'target@example.com', PASSWORD);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(await res.json()).toEqual({ code: 'TOO_MANY_ATTEMPTS', message: expect.any(String) });
    await gw.gateway.accounts!.log.flush();
    const throttled = await gw.gateway.store.securityEvents.query({ type: 'auth.throttled' });
    expect(throttled.some((e) => e.details.scope === 'account')).toBe(true);
    // Other accounts are not affected.
    expect((await signIn('10.2.0.201', 'other@example.com', PASSWORD)).status).toBe(200);
  });

  it('treats an address without an account exactly the same', async () => {
    const answers: Array<[number, unknown]> = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await signIn(`10.3.0.${i}`, 'no-such-account@example.com', `wrong guess number ${i}`);
      answers.push([res.status, await res.json()]);
    }
    expect(answers.slice(0, 5).map(([s]) => s)).toEqual([401, 401, 401, 401, 401]);
    expect(answers[5]![0]).toBe(429);
    const locked = await signIn('10.3.0.99', 'target@example.com', 'yet another guess');
    expect(await locked.json()).toEqual(answers[5]![1]);
  });

  it('locks an address after 20 failures across accounts, and only that address', async () => {
    for (let i = 0; i < 20; i += 1) expect((await signIn('10.4.0.1', `spray-${i}@example.com`, 'a long wrong password')).status).toBe(401);
    expect((await signIn('10.4.0.1', 'other@example.com', PASSWORD)).status).toBe(429);
    expect((await signIn('10.4.0.2', 'other@example.com', PASSWORD)).status).toBe(200);
  });

  it('spends similar time on an unknown address and on a wrong password (a hash is computed either way)', async () => {
    const time = async (addr: string, email: string) => {
      const t0 = performance.now();
      expect((await signIn(addr, email, 'a long wrong password')).status).toBe(401);
      return performance.now() - t0;
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      unknown.push(await time(`10.5.0.${i}`, `unknown-${i}@example.com`));
      wrong.push(await time(`10.5.1.${i}`, 'timing@example.com'));
    }
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('mail limits', () => {
  it('sends at most 3 reset mails per address per window, answering the same either way', async () => {
    const answers = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await from(`10.6.0.${i}`).post('/auth/request-password-reset', { email: 'mail@example.com' });
      answers.push([res.status, await res.json()]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    await waitForMail(gw.dataDir, 'mail@example.com', 'reset-password');
    await new Promise((r) => setTimeout(r, 200));
    expect(readOutbox(gw.dataDir).filter((m) => m.to.includes('mail@example.com') && m.kind === 'reset-password')).toHaveLength(3);
  });
});
