/**
 * Safegate's own API keys: creation, verification on every request, listing
 * and revocation.
 *
 * Only the SHA-256 of a key is stored. A plain (unsalted, fast) hash is
 * enough because keys carry ~190 random bits: there is nothing to guess or
 * precompute, and the hash must be an exact index lookup on the hot path.
 *
 * Revocation: `revoke()` evicts the key from this process's cache at once, so
 * this process refuses the key on its very next request. Other processes
 * (replicas, or a gateway while the CLI revokes) keep a verified key in their
 * cache for at most `cacheTtlMs` and refuse it after that — unless they hear
 * of the change sooner (`onChange` → a broadcast → `forget`, e.g. over Redis).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { generateGatewayKey, GATEWAY_KEY_PREFIX, isGatewayKey } from '../shared/key-format.js';
import type { ApiKeyRecord, ApiKeyRepo, SecurityEventRepo } from '../storage/types.js';

export type VerifyFailure = 'malformed' | 'unknown' | 'revoked' | 'expired';
export type VerifyResult = { ok: true; record: ApiKeyRecord } | { ok: false; reason: VerifyFailure };

export interface CreateKeyInput {
  name: string;
  /** policy name; null or omitted for the configured default */
  policy?: string | null;
  scopes?: Record<string, unknown>;
  /** epoch ms; null or omitted for a key that does not expire */
  expiresAt?: number | null;
  /** account that creates this key for itself (self-service keys); the key then acts only as that account */
  owner?: string | null;
}

/** Who did something to a key, for the security event log. */
export interface KeyActor {
  /** `cli`, `system`, `admin:<id>`, `user:<id>` */
  actor: string;
  addr?: string | null;
  /** short machine reason, e.g. `leaked`, `rotated` */
  reason?: string;
}

export interface CreatedKey {
  id: string;
  /** the full key; shown to its owner once and never stored */
  key: string;
  record: ApiKeyRecord;
}

export interface GatewayKeysOptions {
  repo: ApiKeyRepo;
  /** epoch ms; injected for tests */
  now?: () => number;
  /** How long a looked-up key is trusted without asking the database, in ms. Default 5,000; 0 disables the cache. */
  cacheTtlMs?: number;
  /** Most cached keys; the oldest entry is evicted beyond it. Default 10,000. */
  cacheMaxEntries?: number;
  /** Least time between two `touch` writes for one key, in ms. Default 60,000. */
  touchIntervalMs?: number;
  /** where create, rotate and revoke are recorded; omitted, nothing is recorded */
  events?: SecurityEventRepo;
}

/** Characters of the key after `sg_` shown in listings; 8 base62 characters identify a key for people, not for attackers. */
const DISPLAY_CHARS = 8;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** `key_` + 16 base32 characters (80 random bits). */
export function newKeyId(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ID_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `key_${out}`;
}

export function hashGatewayKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

interface CacheEntry {
  record: ApiKeyRecord;
  until: number;
}

export class GatewayKeys {
  readonly #repo: ApiKeyRepo;
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #maxEntries: number;
  readonly #touchInterval: number;
  readonly #events: SecurityEventRepo | undefined;
  /** Keyed by hash, so the process never holds plaintext keys beyond a request. */
  readonly #cache = new Map<string, CacheEntry>();
  readonly #lastTouch = new Map<string, number>();
  /** Bumped by every revocation; a lookup that overlapped one is not cached (it may have read the old row). */
  #revocations = 0;
  readonly #listeners: Array<(id: string) => void> = [];

  constructor(options: GatewayKeysOptions) {
    this.#repo = options.repo;
    this.#now = options.now ?? Date.now;
    this.#ttl = options.cacheTtlMs ?? 5_000;
    this.#maxEntries = Math.max(1, options.cacheMaxEntries ?? 10_000);
    this.#touchInterval = options.touchIntervalMs ?? 60_000;
    this.#events = options.events;
  }

  /** Creates a key; with `by`, the creation is recorded as a security event. */
  async create(input: CreateKeyInput, by?: KeyActor): Promise<CreatedKey> {
    const key = generateGatewayKey();
    const record: ApiKeyRecord = {
      id: newKeyId(),
      name: input.name,
      hash: hashGatewayKey(key),
      prefix: key.slice(0, GATEWAY_KEY_PREFIX.length + DISPLAY_CHARS),
      policy: input.policy ?? null,
      scopes: input.scopes ?? {},
      createdAt: this.#now(),
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
      lastUsedAt: null,
      lastUsedAddr: null,
      ...(input.owner ? { owner: input.owner } : {}),
    };
    await this.#repo.create(record);
    if (by) {
      await this.#record('key.created', record.id, by, {
        name: record.name,
        prefix: record.prefix,
        policy: record.policy,
        scopes: record.scopes,
        expiresAt: record.expiresAt,
        ...(record.owner ? { owner: record.owner } : {}),
      });
    }
    return { id: record.id, key, record };
  }

  /**
   * Replaces key `id` by a new key with the same name, policy, scopes, owner
   * and expiry. The old key keeps working for `graceMs` (its expiry becomes
   * now + grace, or stays if sooner), so clients can switch over without a
   * failed request; grace 0 ends it at once. Returns undefined for an unknown,
   * revoked or expired key.
   */
  async rotate(id: string, graceMs: number, by: KeyActor): Promise<CreatedKey | undefined> {
    const old = await this.#repo.get(id);
    const now = this.#now();
    if (!old || old.revokedAt !== null || (old.expiresAt !== null && old.expiresAt <= now)) return undefined;
    const created = await this.create({ name: old.name, policy: old.policy, scopes: old.scopes, expiresAt: old.expiresAt, owner: old.owner ?? null });
    const graceEnds = Math.min(now + Math.max(0, graceMs), old.expiresAt ?? Number.POSITIVE_INFINITY);
    this.#revocations += 1;
    try {
      await this.#repo.setExpiry(id, graceEnds);
    } finally {
      this.#revocations += 1;
      this.#evict(id);
      this.#changed(id);
    }
    await this.#record('key.rotated', id, by, { newKeyId: created.id, newPrefix: created.record.prefix, graceEndsAt: graceEnds });
    return created;
  }

  /** The record of a presented key, whatever its state (leak handling); undefined when malformed or unknown. */
  async findByKey(key: string): Promise<ApiKeyRecord | undefined> {
    if (!isGatewayKey(key)) return undefined;
    return this.#repo.findByHash(hashGatewayKey(key));
  }

  /**
   * Checks a presented key. Malformed keys (wrong shape or checksum) are
   * refused without touching the database, so random junk costs nothing.
   * Unknown keys are not cached: a key created by another process works on
   * its first request here. Throws only when the store fails.
   */
  async verify(key: string): Promise<VerifyResult> {
    if (!isGatewayKey(key)) return { ok: false, reason: 'malformed' };
    const hash = hashGatewayKey(key);
    const now = this.#now();
    let record = this.#cached(hash, now);
    if (!record) {
      const revocations = this.#revocations;
      record = await this.#repo.findByHash(hash);
      if (!record) return { ok: false, reason: 'unknown' };
      if (revocations === this.#revocations) this.#remember(hash, record, now);
    }
    // The lookup compared hashes in the database, whose timing we do not
    // control; this comparison is the one the decision rests on.
    const expected = Buffer.from(record.hash, 'hex');
    const presented = Buffer.from(hash, 'hex');
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) {
      return { ok: false, reason: 'unknown' };
    }
    if (record.revokedAt !== null) return { ok: false, reason: 'revoked' };
    if (record.expiresAt !== null && record.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, record };
  }

  /** Every key, revoked and expired ones included, oldest first. */
  list(): Promise<ApiKeyRecord[]> {
    return this.#repo.list();
  }

  get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#repo.get(id);
  }

  /**
   * Revokes a key (idempotent; the first revocation time stays). Returns
   * false when the id is unknown. With `by`, a first revocation is recorded
   * as a security event.
   */
  async revoke(id: string, by?: KeyActor): Promise<boolean> {
    const before = by ? await this.#repo.get(id) : undefined;
    this.#revocations += 1;
    let found: boolean;
    try {
      found = await this.#repo.revoke(id, this.#now());
    } finally {
      this.#revocations += 1;
      this.#evict(id);
      this.#changed(id);
    }
    if (found && by && before && before.revokedAt === null) {
      await this.#record('key.revoked', id, by, { name: before.name, prefix: before.prefix });
    }
    return found;
  }

  async #record(type: string, keyId: string, by: KeyActor, details: Record<string, unknown>): Promise<void> {
    if (!this.#events) return;
    await this.#events.record({ type, actor: by.actor, subject: keyId, addr: by.addr ?? null, details: { ...details, ...(by.reason ? { reason: by.reason } : {}) } });
  }

  /**
   * Records that a key was used. Writes at most once per `touchIntervalMs`
   * per key from this process, so the request path does not write on every
   * request; lastUsedAt is therefore accurate to that interval.
   */
  async touch(id: string, addr: string | null = null): Promise<void> {
    const now = this.#now();
    const last = this.#lastTouch.get(id);
    if (last !== undefined && now - last < this.#touchInterval) return;
    this.#lastTouch.delete(id);
    this.#lastTouch.set(id, now);
    if (this.#lastTouch.size > this.#maxEntries) this.#lastTouch.delete(this.#lastTouch.keys().next().value!);
    await this.#repo.touch(id, now, addr);
  }

  #cached(hash: string, now: number): ApiKeyRecord | undefined {
    const entry = this.#cache.get(hash);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#cache.delete(hash);
      return undefined;
    }
    return entry.record;
  }

  #remember(hash: string, record: ApiKeyRecord, now: number): void {
    if (this.#ttl <= 0) return;
    this.#cache.delete(hash);
    this.#cache.set(hash, { record, until: now + this.#ttl });
    if (this.#cache.size > this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
  }

  /** Calls `listener` with the id of each key this process revokes or re-dates (to tell other processes). */
  onChange(listener: (id: string) => void): void {
    this.#listeners.push(listener);
  }

  /** Drops a key changed elsewhere from this process's cache; its next request reads the database. */
  forget(id: string): void {
    this.#revocations += 1;
    this.#evict(id);
  }

  #changed(id: string): void {
    for (const listener of this.#listeners) {
      try {
        listener(id);
      } catch {
        // A failing listener must not turn a successful revocation into an error.
      }
    }
  }

  #evict(id: string): void {
    for (const [hash, entry] of this.#cache) {
      if (entry.record.id === id) this.#cache.delete(hash);
    }
  }
}
