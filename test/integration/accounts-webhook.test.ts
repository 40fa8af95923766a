/**
 * `POST /auth/webhooks/verification`: Stripe-style signatures, tolerance,
 * replay protection by event id, and the levels it grants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/accounts/auth/webhook-signature.js';
import { Browser, freePort } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'whsec_' + 'a1b2c3d4'.repeat(5);
let gw: TestGateway;
let base: string;
let bare: TestGateway;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gw = await startGateway({ server: { port }, accounts: { webhooks: { verification: { secrets: ['retired-secret-'.repeat(3), SECRET] } } } });
  bare = await startGateway();
  for (const email of ['pay@example.com', 'id@example.com']) {
    await gw.gateway.accounts!.createAccount({ email, name: 'x', password: 'a perfectly fine passphrase', role: 'user', emailVerified: true });
  }
});

afterAll(async () => {
  await gw?.close();
  await bare?.close();
});

const send = (body: unknown, header?: string | null, url = `${base}/auth/webhooks/verification`) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const sig = header === undefined ? signatureHeader(SECRET, text) : header;
  if (sig !== null) headers['safegate-signature'] = sig;
  return fetch(url, { method: 'POST', headers, body: text });
};
const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const levelOf = (ref: string) => gw.gateway.accounts!.levels.levelOf(ref);

describe('verification webhook', () => {
  it('raises the level on a correctly signed event and records who did it', async () => {
    const res = await send({ id: 'evt_pay_1', type: 'payment.verified', email: 'pay@example.com' });
    expect(res.status).toBe(200);
    const account = await gw.gateway.store.accounts.findByEmail('pay@example.com');
    expect(await res.json()).toEqual({ received: true, event: 'evt_pay_1', account: account!.id, level: 'payment_verified', changed: true });
    expect(await levelOf('pay@example.com')).toBe('payment_verified');
    await gw.gateway.accounts!.log.flush();
    const [event] = await gw.gateway.store.securityEvents.query({ type: 'user.level_changed', subject: account!.id });
    expect(event).toMatchObject({ actor: 'webhook:verification', details: { from: 'email_verified', to: 'payment_verified', cause: 'payment.verified' } });
  });

  it('refuses a replay of the same delivery, and the same event id signed again', async () => {
    const body = JSON.stringify({ id: 'evt_replay', type: 'payment.verified', email: 'pay@example.com' });
    const header = signatureHeader(SECRET, body);
    expect((await send(body, header)).status).toBe(200);
    const again = await send(body, header);
    expect(again.status).toBe(400);
    expect(await code(again)).toBe('webhook_replayed');
    expect(await code(await send(body))).toBe('webhook_replayed');
  });

  it.each([
    ['no signature', null],
    ['a signature made with another secret', signatureHeader('some-other-secret-'.repeat(3), '{}')],
    ['a garbled header', 'v1=zzz'],
  ])('refuses %s', async (_name, header) => {
    const res = await send({ id: 'evt_bad', type: 'identity.verified', email: 'id@example.com' }, header);
    expect(res.status).toBe(400);
    expect(await code(res)).toBe('webhook_signature_invalid');
    expect(await levelOf('id@example.com')).toBe('email_verified');
  });

  it('refuses a body changed after signing', async () => {
    const header = signatureHeader(SECRET, JSON.stringify({ id: 'evt_t', type: 'payment.verified', email: 'pay@example.com' }));
    const res = await send({ id: 'evt_t', type: 'identity.verified', email: 'id@example.com' }, header);
    expect(await code(res)).toBe('webhook_signature_invalid');
  });

  it('refuses a stale timestamp even with a valid signature', async () => {
    const body = JSON.stringify({ id: 'evt_old', type: 'identity.verified', email: 'id@example.com' });
    const res = await send(body, signatureHeader(SECRET, body, Math.floor(Date.now() / 1000) - 301));
    expect(res.status).toBe(400);
    expect(await code(res)).toBe('webhook_timestamp_stale');
    await gw.gateway.accounts!.log.flush();
    const rejected = await gw.gateway.store.securityEvents.query({ type: 'auth.webhook_rejected' });
    expect(rejected.map((e) => e.details.reason)).toEqual(expect.arrayContaining(['stale']));
  });

  it('grants id_verified by user id, and never lowers it with a later payment event', async () => {
    const account = await gw.gateway.store.accounts.findByEmail('id@example.com');
    expect(await (await send({ id: 'evt_id', type: 'identity.verified', user_id: account!.id })).json()).toMatchObject({ level: 'id_verified', changed: true });
    expect(await (await send({ id: 'evt_id_pay', type: 'payment.verified', user_id: account!.id })).json()).toMatchObject({ level: 'id_verified', changed: false });
    expect(await levelOf(account!.id)).toBe('id_verified');
    const me = new Browser(base);
    expect((await me.post('/auth/sign-in/email', { email: 'id@example.com', password: 'a perfectly fine passphrase' })).status).toBe(200);
    expect(await (await me.get('/auth/me')).json()).toMatchObject({ level: 'id_verified', granted_level: 'id_verified' });
  });

  it('answers 404 for an unknown account without using up the event id', async () => {
    const res = await send({ id: 'evt_later', type: 'payment.verified', email: 'later@example.com' });
    expect(res.status).toBe(404);
    expect(await code(res)).toBe('account_not_found');
    await gw.gateway.accounts!.createAccount({ email: 'later@example.com', name: 'x', password: 'a perfectly fine passphrase', role: 'user' });
    expect((await send({ id: 'evt_later', type: 'payment.verified', email: 'later@example.com' })).status).toBe(200);
  });

  it('validates the event', async () => {
    expect(await code(await send({ id: 'evt_x', type: 'wire.transfer', email: 'pay@example.com' }))).toBe('invalid_request');
    expect(await code(await send({ id: 'evt_x', type: 'payment.verified', email: 'pay@example.com', user_id: 'acct_x' }))).toBe('invalid_request');
    expect(await code(await send('not json'))).toBe('invalid_json');
  });

  it('is off until a secret is configured', async () => {
    const res = await send({ id: 'evt_1', type: 'payment.verified', email: 'x@example.com' }, undefined, bare.url.replace(/\/v1$/, '/auth/webhooks/verification'));
    expect(res.status).toBe(404);
    expect(await code(res)).toBe('webhook_not_configured');
  });
});
