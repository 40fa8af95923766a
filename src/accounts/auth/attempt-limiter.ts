/**
 * Counts attempts per key in a sliding window. Used to throttle sign-in per
 * account and per client address, and mail sending per address.
 *
 * `consume` checks and counts in one step, so parallel attempts cannot all
 * pass a check made before any of them was counted: an attempt is counted
 * when it starts, and a successful one is taken back with `release` (or the
 * key cleared with `reset`).
 *
 * `MemoryAttemptLimiter` keeps the counts in this process: with several
 * replicas each enforces its own window, so the effective limit is the
 * configured one times the number of replicas an attacker reaches.
 * `RedisAttemptLimiter` (`attempt-limiter-redis.ts`) shares the counts between
 * replicas through the same interface.
 *
 * Failure: a limiter that cannot count rejects `consume` (fail closed) rather
 * than allowing the attempt; `release` and `reset` may reject too.
 */

export interface AttemptDecision {
  allowed: boolean;
  /** when refused: ms until the oldest counted attempt leaves the window */
  retryAfterMs: number;
  /** attempts in the window, this one included when allowed */
  count: number;
}

export interface AttemptLimiter {
  /** Refuses when `max` attempts are already in the window; otherwise counts this one (at `now`). */
  consume(key: string, now: number): Promise<AttemptDecision>;
  /** Takes back one attempt counted at `at` (an attempt that turned out to be legitimate). */
  release(key: string, at: number): Promise<void>;
  /** Forgets every attempt of the key. */
  reset(key: string): Promise<void>;
}

export interface MemoryAttemptLimiterOptions {
  max: number;
  windowMs: number;
  /**
   * Most keys held; beyond it the least recently used key is dropped. Bounds
   * memory under a spray of distinct keys; such a spray is also limited per
   * address.
   */
  maxKeys?: number;
}

export class MemoryAttemptLimiter implements AttemptLimiter {
  readonly #max: number;
  readonly #window: number;
  readonly #maxKeys: number;
  /** key → attempt times, oldest first; Map order doubles as recency for eviction */
  readonly #attempts = new Map<string, number[]>();

  constructor(options: MemoryAttemptLimiterOptions) {
    this.#max = options.max;
    this.#window = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  async consume(key: string, now: number): Promise<AttemptDecision> {
    const times = this.#live(key, now);
    if (times.length >= this.#max) {
      this.#store(key, times);
      return { allowed: false, retryAfterMs: Math.max(1, times[0]! + this.#window - now), count: times.length };
    }
    times.push(now);
    this.#store(key, times);
    return { allowed: true, retryAfterMs: 0, count: times.length };
  }

  async release(key: string, at: number): Promise<void> {
    const times = this.#attempts.get(key);
    if (!times) return;
    const i = times.lastIndexOf(at);
    if (i >= 0) times.splice(i, 1);
    if (times.length === 0) this.#attempts.delete(key);
  }

  async reset(key: string): Promise<void> {
    this.#attempts.delete(key);
  }

  #live(key: string, now: number): number[] {
    const times = this.#attempts.get(key) ?? [];
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - this.#window) drop += 1;
    return drop > 0 ? times.slice(drop) : times;
  }

  #store(key: string, times: number[]): void {
    this.#attempts.delete(key);
    if (times.length === 0) return;
    this.#attempts.set(key, times);
    if (this.#attempts.size > this.#maxKeys) this.#attempts.delete(this.#attempts.keys().next().value!);
  }
}
