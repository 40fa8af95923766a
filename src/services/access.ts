/**
 * The extension point for per-user and per-key access control: suspensions,
 * rate limits, token quotas, key scopes and abuse strikes. The proxy calls
 * `admit` before any check runs and `settle` once per finished request (from
 * the audit record). With no access control configured everything is admitted.
 */
import type { ApiKeyRecord, AuditRecord } from '../storage/types.js';

export interface AdmitRequest {
  endpoint: 'chat.completions' | 'responses' | 'moderations';
  model: string;
  key: ApiKeyRecord | null;
  safetyId: string;
  /** the user id the app passed (header or body); null for anonymous callers. Never log or store it in clear. */
  rawUserId: string | null;
  userSource: 'header' | 'body' | 'anonymous';
  /** a verification level the app asserted for the user (X-Safegate-User-Level), trusted only if the key allows it */
  claimedLevel: string | null;
  addr: string | null;
  /** the request body; admit may clamp fields (e.g. the output-token ceiling of the user's level) */
  body: Record<string, unknown>;
}

export interface Admission {
  /** extra response headers (e.g. x-ratelimit-*) */
  headers?: Record<string, string>;
  /** policy to use instead of the key's (e.g. a level-specific policy) */
  policy?: string;
}

export interface AccessControl {
  /** Throws a GatewayError (403 suspended, 429 rate limited or over quota, 403 scope) to refuse. */
  admit(request: AdmitRequest): Promise<Admission>;
  /** Records usage and strikes. Must not throw and must not block the request path. */
  settle(record: AuditRecord): void;
}

export const allowAll: AccessControl = {
  admit: async () => ({}),
  settle: () => undefined,
};
