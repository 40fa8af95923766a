import { describe, expect, it } from 'vitest';
import { signatureHeader, signPayload, verifySignature } from './webhook-signature.js';

const secret = 'whsec_' + 'k'.repeat(40);
const body = '{"id":"evt_1","type":"payment.verified","email":"a@example.com"}';
const now = 1_735_689_600_000;
const t = now / 1000;
const verify = (header: string | undefined, secrets = [secret], at = now) => verifySignature({ header, body, secrets, toleranceMs: 300_000, nowMs: at });

describe('Safegate-Signature', () => {
  it('matches the documented construction: hex HMAC-SHA256 of "<t>.<body>"', async () => {
    const { createHmac } = await import('node:crypto');
    expect(signPayload(secret, body, t)).toBe(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
    expect(signatureHeader(secret, body, t)).toBe(`t=${t},v1=${signPayload(secret, body, t)}`);
  });

  it('accepts a valid signature within the tolerance', () => {
    expect(verify(signatureHeader(secret, body, t))).toEqual({ ok: true, timestamp: t });
    expect(verify(signatureHeader(secret, body, t - 299)).ok).toBe(true);
  });

  it.each([
    ['no header', undefined, 'missing'],
    ['no timestamp', `v1=${signPayload(secret, body, t)}`, 'malformed'],
    ['no v1 entry', `t=${t},v0=abc`, 'malformed'],
    ['a non-numeric timestamp', `t=abc,v1=${signPayload(secret, body, t)}`, 'malformed'],
    ['another secret', signatureHeader('other-secret-'.repeat(3), body, t), 'mismatch'],
    ['a changed timestamp', `t=${t + 1},v1=${signPayload(secret, body, t)}`, 'mismatch'],
  ])('refuses %s', (_name, header, reason) => {
    expect(verify(header)).toEqual({ ok: false, reason });
  });

  it('refuses a changed body', () => {
    expect(verifySignature({ header: signatureHeader(secret, body, t), body: body.replace('a@', 'b@'), secrets: [secret], toleranceMs: 300_000, nowMs: now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a stale or future timestamp only when the signature is right', () => {
    expect(verify(signatureHeader(secret, body, t - 301))).toEqual({ ok: false, reason: 'stale' });
    expect(verify(signatureHeader(secret, body, t + 301))).toEqual({ ok: false, reason: 'stale' });
  });

  it('accepts any v1 entry against any configured secret (rotation on both sides)', () => {
    const old = 'old-secret-'.repeat(4);
    const header = `t=${t},v1=${signPayload(old, body, t)},v1=${signPayload(secret, body, t)}`;
    expect(verify(header, ['unrelated-secret-'.repeat(3), secret]).ok).toBe(true);
    expect(verify(signatureHeader(old, body, t), [secret, old]).ok).toBe(true);
  });
});
