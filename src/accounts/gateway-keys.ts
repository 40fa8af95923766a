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
 * cache for at most `cacheTtlMs` and refuse it after that.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { generateGatewayKey, GATEWAY_KEY_PREFIX, isGatewayKey } from '../shared/key-format.js';
import type { ApiKeyRecord, ApiKeyRepo } from '../storage/types.js';

export type VerifyFailure = 'malformed' | 'unknown' | 'revoked' | 'expired';
export type VerifyResult = { ok: true; record: ApiKeyRecord } | { ok: false; reason: VerifyFailure };

export interface CreateKeyInput {
  name: string;
  /** policy name; null or omitted for the configured default */
  policy?: string | null;
  scopes?: Record<string, unknown>;
  /** epoch ms; null or omitted for a key that does not expire */
  expiresAt?: number | null;
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
  /** Keyed by hash, so the process never holds plaintext keys beyond a request. */
  readonly #cache = new Map<string, CacheEntry>();
  readonly #lastTouch = new Map<string, number>();
  /** Bumped by every revocation; a lookup that overlapped one is not cached (it may have read the old row). */
  #revocations = 0;

  constructor(options: GatewayKeysOptions) {
    this.#repo = options.repo;
    this.#now = options.now ?? Date.now;
    this.#ttl = options.cacheTtlMs ?? 5_000;
    this.#maxEntries = Math.max(1, options.cacheMaxEntries ?? 10_000);
    this.#touchInterval = options.touchIntervalMs ?? 60_000;
  }

  async create(input: CreateKeyInput): Promise<CreatedKey> {
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
    };
    await this.#repo.create(record);
    return { id: record.id, key, record };
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

  /** Revokes a key (idempotent; the first revocation time stays). Returns false when the id is unknown. */
  async revoke(id: string): Promise<boolean> {
    this.#revocations += 1;
    try {
      return await this.#repo.revoke(id, this.#now());
    } finally {
      this.#revocations += 1;
      this.#evict(id);
    }
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

  #evict(id: string): void {
    for (const [hash, entry] of this.#cache) {
      if (entry.record.id === id) this.#cache.delete(hash);
    }
  }
}
