/**
 * Counters behind per-user and per-key limits: token buckets for request
 * rates and fixed-window counters for token quotas. One interface, two
 * implementations: in-process (`memory.ts`, one gateway) and Redis
 * (`redis.ts`, shared by every replica). `contract.ts` is the behaviour both
 * must show.
 *
 * Keys are opaque strings chosen by the caller (e.g. `user:<safety id>`);
 * they must not contain raw user ids or secrets, since Redis stores them in clear.
 * Time is injected (epoch ms) so that replicas agree within their clock skew
 * and tests can move it.
 */

/** A token bucket: holds at most `capacity` tokens and gains `refillPerSec` per second. A new bucket is full. */
export interface BucketSpec {
  capacity: number;
  refillPerSec: number;
}

export interface TakeResult {
  /** true when the tokens were taken; a refused take takes nothing */
  allowed: boolean;
  /** whole tokens left after this take */
  remaining: number;
  /** when refused: ms until `cost` tokens are available; 0 when allowed */
  retryAfterMs: number;
  /** ms until the bucket is full again */
  resetMs: number;
}

export interface LimitStore {
  /**
   * Atomically takes `cost` tokens (default 1) from bucket `key`. Concurrent
   * takes, from any number of processes sharing the store, never take more
   * than the bucket holds. A capacity lower than the bucket's current
   * content (e.g. a throttled user) clamps the content.
   */
  take(key: string, spec: BucketSpec, now: number, cost?: number): Promise<TakeResult>;
  /** Usage recorded in the fixed window of `windowMs` that contains `now` (windows start at multiples of `windowMs` since the epoch: UTC days for 24h). */
  usage(key: string, windowMs: number, now: number): Promise<number>;
  /** Adds to the current window's usage atomically; returns the new total. Windows expire after they end. */
  addUsage(key: string, amount: number, windowMs: number, now: number): Promise<number>;
  close(): Promise<void>;
}

/** ms from `now` until the window of `windowMs` containing it ends. */
export function windowResetMs(windowMs: number, now: number): number {
  return (Math.floor(now / windowMs) + 1) * windowMs - now;
}
