/**
 * Signatures of incoming verification webhooks, in the format Stripe uses:
 *
 *   Safegate-Signature: t=1735689600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 *
 * `t` is the signing time in Unix seconds; each `v1` is the lower-case hex
 * HMAC-SHA256, keyed with a shared secret, of `<t>.<raw request body>`. A
 * header may carry several `v1` entries (a sender rolling its secret), and
 * Safegate may hold several secrets (a receiver rolling its own); one match
 * of any pair is enough. Comparisons run in constant time. A signature is
 * accepted only while `t` is within the tolerance of the receiver's clock;
 * replays inside that window are caught by the event id (see
 * `verification-webhook.ts`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'safegate-signature';

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' };

export function signPayload(secret: string, body: string, timestampSec: number): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`, 'utf8').digest('hex');
}

/** A header value for `body`, for senders and tests. */
export function signatureHeader(secret: string, body: string, timestampSec: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestampSec},v1=${signPayload(secret, body, timestampSec)}`;
}

export function verifySignature(options: {
  header: string | null | undefined;
  body: string;
  secrets: readonly string[];
  toleranceMs: number;
  nowMs: number;
}): SignatureCheck {
  const { header } = options;
  if (!header) return { ok: false, reason: 'missing' };
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === null || signatures.length === 0) return { ok: false, reason: 'malformed' };

  let matched = false;
  for (const secret of options.secrets) {
    const expected = Buffer.from(signPayload(secret, options.body, timestamp), 'hex');
    // Every candidate is compared (no early exit), so timing does not tell which secret or entry matched.
    for (const candidate of signatures) matched = timingSafeEqual(expected, candidate) || matched;
  }
  if (!matched) return { ok: false, reason: 'mismatch' };
  if (Math.abs(options.nowMs - timestamp * 1000) > options.toleranceMs) return { ok: false, reason: 'stale' };
  return { ok: true, timestamp };
}
