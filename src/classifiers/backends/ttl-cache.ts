/**
 * A bounded least-recently-used cache with a time to live, keyed by the
 * SHA-256 of the content, so that no raw prompt text is kept as a key.
 *
 * Values may be promises: two identical texts in flight at once then share
 * one back-end call. A rejected promise is dropped at once, so a failure is
 * never served from the cache.
 */
import { createHash } from 'node:crypto';

/** Hex SHA-256 of the parts, separated so that ("ab","c") and ("a","bc") differ. */
export function contentKey(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\u0000');
  return h.digest('hex');
}

interface Entry<V> {
  value: V;
  expires: number;
}

export class TtlCache<V> {
  private readonly map = new Map<string, Entry<V>>();

  /** `ttlMs` 0 disables the cache; `Infinity` keeps entries until evicted by size. */
  constructor(
    private readonly ttlMs: number,
    private readonly maxSize: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0 && this.maxSize > 0;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, value: V): void {
    if (!this.enabled) return;
    this.map.delete(key);
    this.map.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.map.size > this.maxSize) this.map.delete(this.map.keys().next().value as string);
    if (value instanceof Promise) value.catch(() => this.deleteIf(key, value));
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  private deleteIf(key: string, value: V): void {
    if (this.map.get(key)?.value === value) this.map.delete(key);
  }
}
