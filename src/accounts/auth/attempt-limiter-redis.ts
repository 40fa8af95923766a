/**
 * Redis `AttemptLimiter`, shared by every gateway replica: an attacker who
 * spreads guesses over several replicas meets one count, not one per replica.
 * Same behaviour as `MemoryAttemptLimiter` (sliding window of attempt times,
 * refusal with the delay until the oldest leaves the window, `release` of one
 * attempt, `reset`), except that keys are not evicted by recency: each key
 * expires when its newest attempt leaves the window.
 *
 * Atomicity: `consume` and `release` are each one Lua script, which Redis runs
 * atomically, so parallel attempts from any number of processes are counted
 * exactly and never more than `max` pass.
 *
 * Privacy: callers' keys hold client addresses (and email pseudonyms); Redis
 * stores them in clear, so each key is replaced by an HMAC-SHA-256 of it under
 * `secret`. A plain hash would not do: the IPv4 space is small enough to hash
 * in full. Replicas must share the secret to share counts.
 *
 * Failure: commands time out after `commandTimeoutMs`. A `consume` that cannot
 * reach Redis rejects with `ACCESS_UNAVAILABLE` (503), as request limits do:
 * the attempt is refused rather than admitted uncounted. `release` and `reset`
 * reject as well; a caller may tolerate that, since a missed take-back only
 * leaves the count higher than it should be.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AttemptDecision, AttemptLimiter } from './attempt-limiter.js';

/**
 * KEYS[1] sorted set of attempts (score: time in ms; member: time and a random
 * tag, so equal times stay distinct). ARGV: now, window, max, member.
 * Returns {allowed, count, retryAfterMs}.
 */
const CONSUME = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= max then
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  local retry = oldest + window - now
  if retry < 1 then retry = 1 end
  return {0, count, retry}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
local newest = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
local ttl = newest + window - now
if ttl < 1 then ttl = 1 end
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl))
return {1, count + 1, 0}
`;

/** Removes one attempt counted at ARGV[1]; an emptied set is deleted by Redis itself. */
const RELEASE = `
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if #found > 0 then redis.call('ZREM', KEYS[1], found[1]) end
return #found
`;

interface ScriptedRedis {
  sgAttemptConsume(key: string, now: number, window: number, max: number, member: string): Promise<[number, number, number]>;
  sgAttemptRelease(key: string, at: number): Promise<number>;
}

export interface AttemptRedisOptions {
  /** per-command timeout, ms; default 1,000 */
  commandTimeoutMs?: number;
  /** connection errors (the client reconnects by itself); default: ignored */
  onError?: (err: Error) => void;
}

/**
 * A client set up like the limit store's: it fails fast instead of queueing
 * behind a dead connection, and connects on first use (CLI commands that
 * build the accounts layer never touch it).
 */
export function connectAttemptRedis(url: string, options: AttemptRedisOptions = {}): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    lazyConnect: true,
  });
  client.on('error', options.onError ?? (() => undefined));
  return client;
}

/** Closes a client from `connectAttemptRedis`, also one that never connected. */
export async function closeAttemptRedis(client: Redis): Promise<void> {
  if (client.status === 'wait' || client.status === 'end') {
    client.disconnect();
    return;
  }
  await client.quit().catch(() => client.disconnect());
}

export interface RedisAttemptLimiterOptions {
  max: number;
  windowMs: number;
  /** `redis://` URL, or an existing client (shared, not closed by `close()`) */
  redis: string | Redis;
  /** keys the HMAC that replaces callers' keys; every replica must use the same */
  secret: string | Buffer;
  /** what is counted, e.g. `sign-in-account`; keeps limiters sharing a client apart */
  name: string;
  /** prepended to every key; default `safegate:attempts:` */
  prefix?: string;
  /** with a URL: per-command timeout, ms; default 1,000 */
  commandTimeoutMs?: number;
  /** with a URL: connection errors; default ignored */
  onError?: (err: Error) => void;
}

export class RedisAttemptLimiter implements AttemptLimiter {
  readonly #redis: Redis;
  readonly #owned: boolean;
  readonly #max: number;
  readonly #window: number;
  readonly #secret: string | Buffer;
  readonly #namespace: string;

  constructor(options: RedisAttemptLimiterOptions) {
    this.#owned = typeof options.redis === 'string';
    this.#redis =
      typeof options.redis === 'string'
        ? connectAttemptRedis(options.redis, {
            ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
            ...(options.onError ? { onError: options.onError } : {}),
          })
        : options.redis;
    this.#max = options.max;
    this.#window = options.windowMs;
    this.#secret = options.secret;
    this.#namespace = `${options.prefix ?? 'safegate:attempts:'}${options.name}:`;
    this.#redis.defineCommand('sgAttemptConsume', { numberOfKeys: 1, lua: CONSUME });
    this.#redis.defineCommand('sgAttemptRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  /** The Redis key that holds `key`'s attempts (tests inspect it). */
  keyOf(key: string): string {
    return this.#namespace + createHmac('sha256', this.#secret).update(`attempt:${key}`).digest('hex').slice(0, 32);
  }

  async consume(key: string, now: number): Promise<AttemptDecision> {
    const member = `${now}:${randomBytes(6).toString('hex')}`;
    let reply: [number, number, number];
    try {
      reply = await this.#scripts.sgAttemptConsume(this.keyOf(key), now, this.#window, this.#max, member);
    } catch (err) {
      throw new GatewayError('ACCESS_UNAVAILABLE', {
        message: 'Sign-in and mail attempts could not be counted (the shared attempt store is unreachable), and the gateway fails closed.',
        cause: err,
      });
    }
    const [allowed, count, retryAfterMs] = reply.map(Number) as [number, number, number];
    return { allowed: allowed === 1, retryAfterMs, count };
  }

  async release(key: string, at: number): Promise<void> {
    await this.#scripts.sgAttemptRelease(this.keyOf(key), at);
  }

  async reset(key: string): Promise<void> {
    await this.#redis.del(this.keyOf(key));
  }

  /** Closes the connection when this limiter opened it from a URL. */
  async close(): Promise<void> {
    if (this.#owned) await closeAttemptRedis(this.#redis);
  }

  get #scripts(): ScriptedRedis {
    return this.#redis as unknown as ScriptedRedis;
  }
}
