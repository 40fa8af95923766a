/**
 * Privacy-preserving safety identifiers: `base64url(HMAC-SHA256(secret, tenant + ":" + user))`,
 * at most 64 characters (OpenAI's limit). The provider can act on one end user
 * without learning who they are; only this deployment, holding the secret, can
 * link an identifier back to the user id the app passed.
 */
import { createHmac } from 'node:crypto';

export const SAFETY_ID_MAX_LENGTH = 64;

export interface EndUser {
  /** the identifier sent upstream */
  safetyId: string;
  /** how the user was named: header from an authenticated key, the request body, or an anonymous session */
  source: 'header' | 'body' | 'anonymous';
  /** the raw user id the app passed; kept in memory for the request only (never logged or forwarded) */
  rawUserId: string | null;
}

export class SafetyIds {
  constructor(
    private readonly secret: Buffer,
    private readonly tenant: string,
  ) {}

  derive(user: string): string {
    return createHmac('sha256', this.secret).update(`${this.tenant}:${user}`).digest('base64url').slice(0, SAFETY_ID_MAX_LENGTH);
  }

  /**
   * Anonymous callers get a stable session identifier derived from the session
   * the app names (X-Safegate-Session) or, failing that, the key and address.
   * The `anon:` prefix keeps these apart from named users.
   */
  anonymous(session: string): string {
    return this.derive(`anon:${session}`);
  }

  /**
   * Decides who the end user is. Precedence: the `X-Safegate-User` header (only
   * when the caller authenticated with a key), then the body's
   * `safety_identifier`, then the deprecated `user`; otherwise anonymous.
   */
  resolve(input: { headerUser?: string | undefined; trustedHeader: boolean; body: Record<string, unknown>; session: string }): EndUser {
    const header = input.trustedHeader ? input.headerUser?.trim() : undefined;
    if (header) return { safetyId: this.derive(header), source: 'header', rawUserId: header };
    for (const field of ['safety_identifier', 'user'] as const) {
      const value = input.body[field];
      if (typeof value === 'string' && value.trim() !== '') {
        return { safetyId: this.derive(value.trim()), source: 'body', rawUserId: value.trim() };
      }
    }
    return { safetyId: this.anonymous(input.session), source: 'anonymous', rawUserId: null };
  }
}
