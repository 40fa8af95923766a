/**
 * In-process `LimitStore`: exact within one gateway process, shared by
 * nothing else. The default when no Redis is configured. Memory is bounded:
 * full buckets and ended windows carry no information and are dropped, and
 * beyond `maxEntries` the least recently used entries go first (which can
 * only make a limit more lenient, never refuse wrongly).
 */
import { windowResetMs, type BucketSpec, type LimitStore, type TakeResult } from './types.js';

interface Bucket {
  tokens: number;
  at: number;
}

export interface MemoryLimitStoreOptions {
  /** most buckets and counters kept; default 200,000 */
  maxEntries?: number;
}

export class MemoryLimitStore implements LimitStore {
  readonly #buckets = new Map<string, Bucket>();
  readonly #windows = new Map<string, { count: number; endsAt: number }>();
  readonly #max: number;

  constructor(options: MemoryLimitStoreOptions = {}) {
    this.#max = Math.max(16, options.maxEntries ?? 200_000);
  }

  async take(key: string, spec: BucketSpec, now: number, cost = 1): Promise<TakeResult> {
    const rate = spec.refillPerSec / 1000;
    const bucket = this.#buckets.get(key);
    let tokens = spec.capacity;
    let at = now;
    if (bucket) {
      at = Math.max(bucket.at, now);
      tokens = Math.min(spec.capacity, bucket.tokens + Math.max(0, now - bucket.at) * rate);
      this.#buckets.delete(key);
    }
    const allowed = tokens >= cost;
    if (allowed) tokens -= cost;
    this.#buckets.set(key, { tokens, at });
    this.#trim(this.#buckets);
    return {
      allowed,
      remaining: Math.floor(tokens),
      retryAfterMs: allowed ? 0 : rate > 0 ? Math.ceil((cost - tokens) / rate) : Number.POSITIVE_INFINITY,
      resetMs: rate > 0 ? Math.ceil((spec.capacity - tokens) / rate) : 0,
    };
  }

  async usage(key: string, windowMs: number, now: number): Promise<number> {
    const entry = this.#windows.get(windowKey(key, windowMs, now));
    return entry && entry.endsAt > now ? entry.count : 0;
  }

  async addUsage(key: string, amount: number, windowMs: number, now: number): Promise<number> {
    const wk = windowKey(key, windowMs, now);
    const entry = this.#windows.get(wk);
    const count = (entry && entry.endsAt > now ? entry.count : 0) + amount;
    this.#windows.delete(wk);
    this.#windows.set(wk, { count, endsAt: now + windowResetMs(windowMs, now) });
    if (this.#windows.size > this.#max) {
      for (const [k, e] of this.#windows) if (e.endsAt <= now) this.#windows.delete(k);
      this.#trim(this.#windows);
    }
    return count;
  }

  async close(): Promise<void> {
    this.#buckets.clear();
    this.#windows.clear();
  }

  #trim(map: Map<string, unknown>): void {
    while (map.size > this.#max) map.delete(map.keys().next().value!);
  }
}

function windowKey(key: string, windowMs: number, now: number): string {
  return `${key}\u0000${windowMs}\u0000${Math.floor(now / windowMs)}`;
}
