/**
 * Narrow repositories over durable state. One Kysely implementation serves
 * SQLite (default, in the data directory) and PostgreSQL (`DATABASE_URL`);
 * `contract.ts` is the behaviour every implementation must pass.
 *
 * Times are epoch milliseconds (numbers) at this boundary.
 */
import type { CheckResult } from '../pipeline/types.js';

export interface ApiKeyRecord {
  /** public id, e.g. `key_01H...`; safe to log */
  id: string;
  name: string;
  /** SHA-256 of the full key, hex; the key itself is never stored */
  hash: string;
  /** first characters of the key shown in listings, e.g. `sg_live_AbCd` */
  prefix: string;
  /** policy name, or null for the configured default */
  policy: string | null;
  /** JSON-serialisable scopes; interpreted by the accounts layer */
  scopes: Record<string, unknown>;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  lastUsedAddr: string | null;
}

export interface ApiKeyRepo {
  /** Rejects when the id or the hash is already stored. */
  create(record: ApiKeyRecord): Promise<void>;
  /** Exact lookup by hash (an index seek; the caller compares in constant time too). */
  findByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, revoked and expired ones included, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** Sets revokedAt if not already set; returns false when the id is unknown. Idempotent. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Updates lastUsedAt/lastUsedAddr; best effort, may be batched; never moves lastUsedAt backwards. */
  touch(id: string, at: number, addr: string | null): Promise<void>;
  /** Sets expiresAt (used by rotation grace periods). */
  setExpiry(id: string, expiresAt: number | null): Promise<void>;
}

/** One record per request. Never holds raw user ids, keys or (unless the policy says so) content. */
export interface AuditRecord {
  requestId: string;
  /** epoch ms when the request arrived */
  time: number;
  keyId: string | null;
  safetyId: string | null;
  endpoint: string;
  model: string | null;
  policy: string | null;
  /** final HTTP status sent to the client (200 for a stream that started) */
  status: number;
  /** allow | flag | redact | review | block | error */
  outcome: string;
  /** which check decided a block, if any */
  blockedBy: string | null;
  checks: CheckResult[];
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number;
  upstreamLatencyMs: number | null;
  stream: boolean;
  /** error code sent to the client, if any */
  errorCode: string | null;
  /** raw prompt and response text, only when the policy records content */
  content: { input: unknown; output: string | null } | null;
  /** epoch ms after which `content` is purged */
  contentExpiresAt: number | null;
}

/** Filters combine with AND. Results are newest first (time, then requestId, descending). */
export interface AuditQuery {
  /** epoch ms, inclusive */
  since?: number;
  /** epoch ms, exclusive */
  until?: number;
  keyId?: string;
  safetyId?: string;
  outcome?: string;
  /** default 100, at most 1000 */
  limit?: number;
}

export interface AuditRepo {
  /**
   * Inserts all records in one transaction: all or none. A record whose
   * requestId is already stored is skipped, so a batch retried after an
   * ambiguous failure does not fail on its own earlier success.
   */
  insertMany(records: AuditRecord[]): Promise<void>;
  get(requestId: string): Promise<AuditRecord | undefined>;
  query(q: AuditQuery): Promise<AuditRecord[]>;
  /**
   * Removes stored content whose contentExpiresAt is at or before `now` (both
   * fields become null; the rest of the record stays); returns how many records were purged.
   */
  purgeExpiredContent(now: number): Promise<number>;
}

/** Small key-value settings table (e.g. generated secrets' fingerprints, schema facts). */
export interface SettingsRepo {
  get(key: string): Promise<string | undefined>;
  /** Inserts or overwrites. */
  set(key: string, value: string): Promise<void>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  keys: ApiKeyRepo;
  audit: AuditRepo;
  settings: SettingsRepo;
  /** Applies pending migrations; safe to call on every start and from several replicas. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
