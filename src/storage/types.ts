/**
 * Narrow repositories over durable state. One Kysely implementation serves
 * SQLite (default, in the data directory) and PostgreSQL (`DATABASE_URL`);
 * `contract.ts` is the behaviour every implementation must pass.
 *
 * Times are epoch milliseconds (numbers) at this boundary.
 */
import type { Kysely } from 'kysely';
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
  /** account that created this key for itself (self-service keys); absent for keys an administrator made */
  owner?: string | null;
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

/**
 * A security-relevant action: sign-ins and their failures, key create/rotate/revoke,
 * leaked keys, level changes, suspensions, abuse lookups. Details never hold
 * secrets, passwords or raw user ids in clear.
 */
export interface SecurityEvent {
  id: string;
  /** epoch ms */
  time: number;
  /** dotted type, e.g. `auth.sign_in`, `auth.sign_in_failed`, `key.created`, `key.rotated`, `key.revoked`, `key.leaked`, `user.level_changed`, `user.suspended`, `user.restored`, `user.lookup`, `upstream_key.rotated` */
  type: string;
  /** who acted: `cli`, `system`, `admin:<id>`, `user:<id>`, `webhook:<provider>` */
  actor: string | null;
  /** what it acted on: a key id, an account id, a safety identifier */
  subject: string | null;
  /** the caller's network address, when there is one */
  addr: string | null;
  details: Record<string, unknown>;
}

export interface SecurityEventQuery {
  since?: number;
  until?: number;
  type?: string;
  subject?: string;
  limit?: number;
}

export interface SecurityEventRepo {
  /** Appends an event; `id` and `time` are filled in when absent. */
  record(event: Omit<SecurityEvent, 'id' | 'time'> & { id?: string; time?: number }): Promise<SecurityEvent>;
  /** Newest first; since inclusive, until exclusive; limit default 100, max 1000. */
  query(q: SecurityEventQuery): Promise<SecurityEvent[]>;
}

/** Maps a safety identifier back to the user id the app passed, which is kept only encrypted. */
export interface IdentityRecord {
  /** the safety identifier (itself an HMAC of the user id) */
  safetyId: string;
  /** the raw user id, encrypted by the accounts layer's secret box (versioned ciphertext) */
  userCipher: string;
  /** how the app named the user: `header` or `body` */
  source: string;
  /** the gateway key of the most recent request */
  keyId: string | null;
  firstSeen: number;
  lastSeen: number;
}

export interface IdentityRepo {
  /**
   * Inserts the mapping, or on an existing safety id moves lastSeen forward
   * (never back) and updates keyId and source; the stored ciphertext is kept.
   */
  upsert(record: IdentityRecord): Promise<void>;
  get(safetyId: string): Promise<IdentityRecord | undefined>;
  /** Pages through all identities ordered by safety id, starting after `after`. */
  page(after: string | null, limit: number): Promise<IdentityRecord[]>;
  /** Replaces the ciphertext (master-key rotation). */
  setCipher(safetyId: string, userCipher: string): Promise<void>;
}

export type UserStateName = 'ok' | 'throttled' | 'suspended' | 'review';

/** Abuse state of one end user. */
export interface UserStateRecord {
  safetyId: string;
  state: UserStateName;
  /** strike score at `strikesAt`; decays from there */
  strikes: number;
  strikesAt: number;
  /** short machine reason, e.g. `strikes`, `admin`; never user content */
  reason: string | null;
  updatedAt: number;
  updatedBy: string | null;
  /** incremented by every successful write; used for compare-and-set */
  version: number;
}

export interface UserStateRepo {
  get(safetyId: string): Promise<UserStateRecord | undefined>;
  /**
   * Writes `next` only if the stored row still has `expectedVersion` (or, when
   * `expectedVersion` is null, only if no row exists). Returns false when
   * another writer got there first; the caller re-reads and retries. The
   * stored version becomes `next.version`, which must be greater.
   */
  compareAndSet(next: UserStateRecord, expectedVersion: number | null): Promise<boolean>;
  /** Users in a state (all states when omitted), most recently updated first; limit default 100, max 1000. */
  list(q: { state?: UserStateName; limit?: number }): Promise<UserStateRecord[]>;
}

export type UpstreamKeyStatus = 'active' | 'draining' | 'revoked';

/** A provider API key, stored encrypted. */
export interface UpstreamKeyRecord {
  /** public id, e.g. `upk_...`; safe to log */
  id: string;
  /** upstream name (`default` for the main upstream) */
  upstream: string;
  /** the key, encrypted by the accounts layer's secret box */
  cipher: string;
  /** keyed hash of the key, for duplicate detection without decrypting */
  fingerprint: string;
  /** a few characters for people, e.g. `sk-...wxyz` */
  hint: string;
  status: UpstreamKeyStatus;
  createdAt: number;
  revokedAt: number | null;
}

export interface UpstreamKeyRepo {
  /** Rejects when the id, or the fingerprint for the same upstream, is already stored. */
  create(record: UpstreamKeyRecord): Promise<void>;
  get(id: string): Promise<UpstreamKeyRecord | undefined>;
  /** Keys of one upstream (all upstreams when omitted), oldest first, revoked ones included. */
  list(upstream?: string): Promise<UpstreamKeyRecord[]>;
  /**
   * Moves a key to a status; `revoked` also sets revokedAt (first time wins)
   * and is final. Returns false for an unknown id, or when a revoked key would
   * move to another status.
   */
  setStatus(id: string, status: UpstreamKeyStatus, at: number): Promise<boolean>;
  /** Replaces the ciphertext (master-key rotation). */
  setCipher(id: string, cipher: string): Promise<void>;
}

/** `user` may use the gateway through its own keys; `admin` may also use the admin API. */
export type AccountRole = 'user' | 'admin';

/**
 * An end-user or administrator account (better-auth's user row plus the
 * sign-in methods linked to it). The level an account has is derived from
 * these facts by `accounts/levels.ts`.
 */
export interface AccountRecord {
  /** random id assigned at sign-up; safe to log and to use as an event subject */
  id: string;
  /** lower-cased */
  email: string;
  name: string;
  emailVerified: boolean;
  role: AccountRole;
  /** level granted by an administrator or a signed verification webhook (`payment_verified`, `id_verified`), else null */
  verifiedLevel: string | null;
  /** provider ids of the linked sign-in methods: `credential` for a password, else the OAuth/OIDC provider id */
  providers: string[];
  createdAt: number;
}

export interface AccountQuery {
  /** case-insensitive substring of the email */
  email?: string;
  role?: AccountRole;
  /** verifiedLevel equal to this; `none` for accounts without one */
  verifiedLevel?: string;
  /** ids greater than this (pagination cursor: pass the last id of the previous page) */
  after?: string;
  /** default 100, at most 1000 */
  limit?: number;
}

export interface AccountRepo {
  get(id: string): Promise<AccountRecord | undefined>;
  /** Exact, case-insensitive match. */
  findByEmail(email: string): Promise<AccountRecord | undefined>;
  /** Ordered by id (random, so stable but not chronological). */
  list(q: AccountQuery): Promise<AccountRecord[]>;
  /**
   * Sets the granted level in one statement. With `onlyFrom`, the update
   * happens only while the stored value is one of those (null included), so
   * two concurrent raises cannot lower each other. Returns whether a row changed.
   */
  setVerifiedLevel(id: string, level: string | null, onlyFrom?: ReadonlyArray<string | null>): Promise<boolean>;
  /** Returns false for an unknown id. */
  setRole(id: string, role: AccountRole): Promise<boolean>;
  countByRole(role: AccountRole): Promise<number>;
  /**
   * Records a webhook event id. Returns true for the first call with an id and
   * false for every later one, across processes and replicas (a primary-key
   * insert): exactly one delivery of an event is applied.
   */
  claimWebhookEvent(id: string, at: number): Promise<boolean>;
  /** Forgets event ids received before `before` (older deliveries fail the timestamp check anyway). */
  purgeWebhookEvents(before: number): Promise<number>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  keys: ApiKeyRepo;
  audit: AuditRepo;
  settings: SettingsRepo;
  securityEvents: SecurityEventRepo;
  identities: IdentityRepo;
  userState: UserStateRepo;
  upstreamKeys: UpstreamKeyRepo;
  accounts: AccountRepo;
  /**
   * The Kysely instance behind the repositories, for libraries that manage
   * their own tables through Kysely (better-auth, over the tables of migration
   * 0003). Application code uses the repositories instead.
   */
  kysely(): Kysely<any>;
  /** Applies pending migrations; safe to call on every start and from several replicas. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
