/**
 * Upstream provider keys kept by Safegate: encrypted at rest (`SecretBox`),
 * several per upstream, used round-robin, rotated without a failed request.
 *
 * Statuses: `active` keys receive new requests; a `draining` key receives
 * none (unless no active key is left) while the requests already using it
 * finish; a `revoked` key is never used again. Rotation = add the new key,
 * drain the old one, revoke it.
 *
 * An upstream with stored keys uses them; one without uses the key from its
 * configuration (e.g. `OPENAI_API_KEY`), the simple alternative.
 *
 * Each gateway reloads keys every `refreshMs`, so a key added or revoked by
 * the CLI or another replica is picked up within that interval. Plaintext
 * keys live only in this process's memory; they are never logged, and
 * records and errors name a key by id and hint (`sk-...wxyz`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SecurityEventRepo, UpstreamKeyRecord, UpstreamKeyRepo } from '../storage/types.js';
import type { SecretBox } from './secret-box.js';

/** A key handed to one upstream request; `release` when the response is fully read. Idempotent. */
export interface KeyLease {
  key: string;
  release(): void;
}

/** Where an upstream client gets its provider key per request. */
export interface UpstreamKeyProvider {
  /** A key for one request, or null when no stored key exists (use the configured one). */
  acquire(): KeyLease | null;
}

export function upstreamKeyContext(id: string): string {
  return `upstream_key:${id}`;
}

/** Plain SHA-256: provider keys carry enough entropy that an unsalted hash reveals nothing. */
export function upstreamKeyFingerprint(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** `sk-proj-...wxyz`: the key's fixed prefix and last four characters, enough for people to tell keys apart. */
export function upstreamKeyHint(key: string): string {
  // A short key shows nothing: a prefix and four characters would be much of it.
  if (key.length < 20) return '...';
  const prefix = /^[A-Za-z]{1,8}[-_](?:[A-Za-z]{1,8}[-_])?/.exec(key)?.[0] ?? '';
  return `${prefix}...${key.slice(-4)}`;
}

function newUpstreamKeyId(): string {
  return `upk_${randomBytes(10).toString('hex')}`;
}

interface PoolEntry {
  id: string;
  key: string;
  status: 'active' | 'draining';
  inFlight: number;
}

/** The keys of one upstream, as this process uses them. */
class KeyPool implements UpstreamKeyProvider {
  entries: PoolEntry[] = [];
  #next = 0;

  acquire(): KeyLease | null {
    const active = this.entries.filter((e) => e.status === 'active');
    // With no active key left, a draining one still beats failing the request.
    const candidates = active.length > 0 ? active : this.entries;
    if (candidates.length === 0) return null;
    const entry = candidates[this.#next++ % candidates.length]!;
    entry.inFlight += 1;
    let released = false;
    return {
      key: entry.key,
      release: () => {
        if (released) return;
        released = true;
        entry.inFlight -= 1;
      },
    };
  }

  /** Replaces the entries, keeping the in-flight counts of keys still present. */
  replace(next: Array<{ id: string; key: string; status: 'active' | 'draining' }>): void {
    const old = new Map(this.entries.map((e) => [e.id, e]));
    this.entries = next.map((n) => {
      const prev = old.get(n.id);
      if (prev) {
        prev.status = n.status;
        return prev;
      }
      return { ...n, inFlight: 0 };
    });
  }

  inFlight(id: string): number {
    return this.entries.find((e) => e.id === id)?.inFlight ?? 0;
  }
}

export interface UpstreamKeysOptions {
  repo: UpstreamKeyRepo;
  box: SecretBox;
  events: SecurityEventRepo;
  now?: () => number;
  /** how often to reload keys from the store, ms; default 5,000; 0 disables the timer */
  refreshMs?: number;
  /** a stored key that fails to decrypt (wrong master key) is skipped and reported here */
  onError?: (message: string, details: Record<string, unknown>) => void;
}

export interface RotateOptions {
  actor: string;
  /** longest wait for requests using the old key to finish, ms; default 60,000 */
  drainTimeoutMs?: number;
  /** least time to keep the old key draining, ms, so that other gateways notice (their refresh interval); default 0 */
  minDrainMs?: number;
}

export class UpstreamKeys {
  readonly #o: UpstreamKeysOptions;
  readonly #now: () => number;
  readonly #pools = new Map<string, KeyPool>();
  /** fingerprints of every key this process knows (stored and configured), for leak detection */
  #fingerprints = new Map<string, { id: string | null; upstream: string; hint: string }>();
  readonly #configured = new Map<string, { upstream: string; hint: string }>();
  #timer: NodeJS.Timeout | null = null;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: UpstreamKeysOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** The provider an upstream client asks for keys. */
  provider(upstream: string): UpstreamKeyProvider {
    return this.#pool(upstream);
  }

  /** Makes a configured (environment) key known for leak detection; it is not stored. */
  registerConfigured(upstream: string, key: string): void {
    const fp = upstreamKeyFingerprint(key);
    this.#configured.set(fp, { upstream, hint: upstreamKeyHint(key) });
    if (!this.#fingerprints.has(fp)) this.#fingerprints.set(fp, { id: null, upstream, hint: upstreamKeyHint(key) });
  }

  /** Loads keys now and then every `refreshMs`. */
  async start(): Promise<void> {
    await this.refresh();
    const every = this.#o.refreshMs ?? 5000;
    if (every > 0 && !this.#timer) {
      this.#timer = setInterval(() => {
        this.refresh().catch((err: Error) => this.#o.onError?.('reloading upstream keys failed', { err: err.message }));
      }, every);
      this.#timer.unref();
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * Reloads every key from the store. Reloads run one after another, and each
   * call's reload starts after the call, so it sees every write made before it.
   */
  refresh(): Promise<void> {
    const run = this.#chain.then(() => this.#reload());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  list(upstream?: string): Promise<UpstreamKeyRecord[]> {
    return this.#o.repo.list(upstream);
  }

  /** Stores a new active key for `upstream`. Rejects an empty key or one already stored for it. */
  async add(upstream: string, key: string, actor: string): Promise<UpstreamKeyRecord> {
    const clean = key.trim();
    if (clean.length < 8 || /\s/.test(clean)) throw new Error('an upstream key must be at least 8 characters without spaces');
    const fingerprint = upstreamKeyFingerprint(clean);
    if ((await this.#o.repo.list(upstream)).some((r) => r.fingerprint === fingerprint && r.status !== 'revoked')) {
      throw new Error(`this key is already stored for upstream ${upstream}`);
    }
    const id = newUpstreamKeyId();
    const record: UpstreamKeyRecord = {
      id,
      upstream,
      cipher: this.#o.box.encrypt(clean, upstreamKeyContext(id)),
      fingerprint,
      hint: upstreamKeyHint(clean),
      status: 'active',
      createdAt: this.#now(),
      revokedAt: null,
    };
    await this.#o.repo.create(record);
    await this.#o.events.record({ type: 'upstream_key.added', actor, subject: id, addr: null, details: { upstream, hint: record.hint } });
    await this.refresh();
    return record;
  }

  /** Stops using a key at once (requests already using it finish). False for an unknown id. */
  async revoke(id: string, actor: string, reason = 'revoked'): Promise<boolean> {
    const record = await this.#o.repo.get(id);
    if (!record) return false;
    await this.#o.repo.setStatus(id, 'revoked', this.#now());
    if (record.status !== 'revoked') {
      await this.#o.events.record({ type: 'upstream_key.revoked', actor, subject: id, addr: null, details: { upstream: record.upstream, hint: record.hint, reason } });
    }
    await this.refresh();
    return true;
  }

  /**
   * Replaces key `id` by `newKey` without a failed request: the new key is
   * added (active) first, the old one drains (no new requests, in-flight ones
   * finish), then it is revoked. Resolves with the new record once the old
   * key is revoked.
   */
  async rotate(id: string, newKey: string, options: RotateOptions): Promise<UpstreamKeyRecord> {
    const old = await this.#o.repo.get(id);
    if (!old || old.status === 'revoked') throw new Error(`no active upstream key ${id}`);
    const added = await this.add(old.upstream, newKey, options.actor);
    await this.#o.repo.setStatus(id, 'draining', this.#now());
    await this.refresh();
    const started = this.#now();
    const deadline = started + (options.drainTimeoutMs ?? 60_000);
    const minUntil = started + (options.minDrainMs ?? 0);
    const pool = this.#pool(old.upstream);
    while ((pool.inFlight(id) > 0 && this.#now() < deadline) || this.#now() < minUntil) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const leftover = pool.inFlight(id);
    await this.#o.repo.setStatus(id, 'revoked', this.#now());
    await this.#o.events.record({
      type: 'upstream_key.rotated',
      actor: options.actor,
      subject: id,
      addr: null,
      details: { upstream: old.upstream, oldHint: old.hint, newId: added.id, newHint: added.hint, drainedMs: this.#now() - started, stillInFlight: leftover },
    });
    await this.refresh();
    return added;
  }

  /** Requests using key `id` in this process right now. */
  inFlight(id: string): number {
    for (const pool of this.#pools.values()) {
      const n = pool.inFlight(id);
      if (n > 0) return n;
    }
    return 0;
  }

  /** True when `value` is exactly one of the upstream keys this process knows. A hash lookup: no timing signal about the keys. */
  isUpstreamKey(value: string): boolean {
    return this.#fingerprints.has(upstreamKeyFingerprint(value));
  }

  /** Id (null for a configured key), upstream and hint of a known key, for alerts. */
  describe(value: string): { id: string | null; upstream: string; hint: string } | undefined {
    return this.#fingerprints.get(upstreamKeyFingerprint(value));
  }

  /** Re-encrypts every stored key not yet under the current master key; returns how many changed. */
  async reencrypt(): Promise<number> {
    let changed = 0;
    for (const record of await this.#o.repo.list()) {
      if (this.#o.box.isCurrent(record.cipher)) continue;
      const context = upstreamKeyContext(record.id);
      await this.#o.repo.setCipher(record.id, this.#o.box.encrypt(this.#o.box.decrypt(record.cipher, context), context));
      changed += 1;
    }
    return changed;
  }

  #pool(upstream: string): KeyPool {
    let pool = this.#pools.get(upstream);
    if (!pool) {
      pool = new KeyPool();
      this.#pools.set(upstream, pool);
    }
    return pool;
  }

  async #reload(): Promise<void> {
    const records = await this.#o.repo.list();
    const byUpstream = new Map<string, Array<{ id: string; key: string; status: 'active' | 'draining' }>>();
    const fingerprints = new Map<string, { id: string | null; upstream: string; hint: string }>();
    for (const [fp, c] of this.#configured) fingerprints.set(fp, { id: null, ...c });
    for (const r of records) {
      if (r.status === 'revoked') {
        // A revoked key leaking is still worth an alert: it may not be revoked at the provider yet.
        fingerprints.set(r.fingerprint, { id: r.id, upstream: r.upstream, hint: r.hint });
        continue;
      }
      let key: string;
      try {
        key = this.#o.box.decrypt(r.cipher, upstreamKeyContext(r.id));
      } catch (err) {
        this.#o.onError?.('an upstream key could not be decrypted; is the master key right?', { id: r.id, err: (err as Error).message });
        // A key this process already holds stays usable: its ciphertext may just have been re-encrypted under a master key this process has not loaded yet.
        const held = this.#pools.get(r.upstream)?.entries.find((e) => e.id === r.id)?.key;
        if (held === undefined) continue;
        key = held;
      }
      fingerprints.set(r.fingerprint, { id: r.id, upstream: r.upstream, hint: r.hint });
      const list = byUpstream.get(r.upstream) ?? [];
      list.push({ id: r.id, key, status: r.status });
      byUpstream.set(r.upstream, list);
    }
    for (const [name, pool] of this.#pools) if (!byUpstream.has(name)) pool.replace([]);
    for (const [name, list] of byUpstream) this.#pool(name).replace(list);
    this.#fingerprints = fingerprints;
  }
}
