/**
 * Redis `LimitStore`, shared by every gateway replica. Each operation is one
 * Lua script, which Redis runs atomically: two replicas taking from the same
 * bucket at once cannot both take its last token.
 *
 * Bucket state is a hash `{t: tokens, a: last update ms}` that expires once
 * the bucket would be full again; window counters expire when their window
 * ends. Every key starts with `prefix`, so several deployments (or test runs)
 * can share one Redis database.
 *
 * Failure: commands time out after `commandTimeoutMs` and reject; the caller
 * (access control) refuses the request rather than admitting it unlimited.
 */
import { Redis } from 'ioredis';
import { type BucketSpec, type LimitStore, type TakeResult } from './types.js';

const TAKE = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
elseif now > at then
  tokens = tokens + (now - at) * rate
  at = now
end
if tokens > capacity then tokens = capacity end
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'a', tostring(at))
local ttl = 1000
if rate > 0 then ttl = math.ceil((capacity - tokens) / rate) + 1000 end
redis.call('PEXPIRE', KEYS[1], ttl)
return {allowed, tostring(tokens)}
`;

const ADD = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return total
`;

interface ScriptedRedis {
  sgTake(key: string, capacity: number, rate: string, now: number, cost: number): Promise<[number, string]>;
  sgAdd(key: string, amount: number, ttl: number): Promise<number>;
}

export interface RedisLimitStoreOptions {
  /** `redis://` URL, or an existing client (not closed by `close()`) */
  redis: string | Redis;
  /** prepended to every key; default `safegate:limits:` */
  prefix?: string;
  /** per-command timeout, ms; default 1,000 */
  commandTimeoutMs?: number;
  /** connection errors (the client reconnects by itself); default: ignored */
  onError?: (err: Error) => void;
}

export class RedisLimitStore implements LimitStore {
  readonly #redis: Redis;
  readonly #owned: boolean;
  readonly #prefix: string;

  constructor(options: RedisLimitStoreOptions) {
    this.#owned = typeof options.redis === 'string';
    this.#redis =
      typeof options.redis === 'string'
        ? new Redis(options.redis, {
            // Fail fast rather than queue requests behind a dead connection.
            maxRetriesPerRequest: 1,
            connectTimeout: 2000,
            commandTimeout: options.commandTimeoutMs ?? 1000,
            lazyConnect: false,
          })
        : options.redis;
    if (this.#owned) this.#redis.on('error', options.onError ?? (() => undefined));
    this.#prefix = options.prefix ?? 'safegate:limits:';
    this.#redis.defineCommand('sgTake', { numberOfKeys: 1, lua: TAKE });
    this.#redis.defineCommand('sgAdd', { numberOfKeys: 1, lua: ADD });
  }

  /** The client, for callers that share the connection (e.g. cleanup in tests). */
  get client(): Redis {
    return this.#redis;
  }

  async take(key: string, spec: BucketSpec, now: number, cost = 1): Promise<TakeResult> {
    const rate = spec.refillPerSec / 1000;
    const [allowed, raw] = await (this.#redis as unknown as ScriptedRedis).sgTake(`${this.#prefix}b:${key}`, spec.capacity, rate.toString(), now, cost);
    const tokens = Number(raw);
    return {
      allowed: allowed === 1,
      remaining: Math.floor(tokens),
      retryAfterMs: allowed === 1 ? 0 : rate > 0 ? Math.ceil((cost - tokens) / rate) : Number.POSITIVE_INFINITY,
      resetMs: rate > 0 ? Math.ceil((spec.capacity - tokens) / rate) : 0,
    };
  }

  async usage(key: string, windowMs: number, now: number): Promise<number> {
    const raw = await this.#redis.get(this.#windowKey(key, windowMs, now));
    return raw === null ? 0 : Number(raw);
  }

  async addUsage(key: string, amount: number, windowMs: number, now: number): Promise<number> {
    const index = Math.floor(now / windowMs);
    const ttl = Math.max(1, (index + 1) * windowMs - now);
    return Number(await (this.#redis as unknown as ScriptedRedis).sgAdd(this.#windowKey(key, windowMs, now), Math.round(amount), ttl));
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #windowKey(key: string, windowMs: number, now: number): string {
    return `${this.#prefix}w:${key}:${windowMs}:${Math.floor(now / windowMs)}`;
  }
}
