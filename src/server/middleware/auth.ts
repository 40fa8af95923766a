/**
 * Gateway-key authentication. `Authorization: Bearer sg_...` → the key's
 * record; the key itself is never logged, echoed or forwarded.
 */
import type { Context } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import type { ApiKeyRecord } from '../../storage/types.js';

export type KeyCheck = { ok: true; record: ApiKeyRecord } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired' };

/** What authentication needs from the key service. */
export interface KeyVerifier {
  /** Constant-time verification; must not throw for a bad key. */
  verify(key: string): Promise<KeyCheck>;
  /** Records last use; best effort, never delays the request. */
  touch(id: string, addr: string | null): void;
}

export interface AuthResult {
  key: ApiKeyRecord | null;
}

const REASON_CODES = { malformed: 'INVALID_API_KEY', unknown: 'INVALID_API_KEY', revoked: 'REVOKED_API_KEY', expired: 'EXPIRED_API_KEY' } as const;

export async function authenticate(c: Context, verifier: KeyVerifier, required: boolean, addr: string | null): Promise<AuthResult> {
  const header = c.req.header('authorization');
  if (!header) {
    if (required) throw new GatewayError('MISSING_API_KEY');
    return { key: null };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new GatewayError('INVALID_API_KEY', { message: 'The Authorization header must be "Bearer <gateway key>".' });
  const result = await verifier.verify(match[1]!);
  if (!result.ok) throw new GatewayError(REASON_CODES[result.reason]);
  verifier.touch(result.record.id, addr);
  return { key: result.record };
}
