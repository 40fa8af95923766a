/**
 * Tells every gateway replica at once that a gateway key was revoked or
 * re-dated, so that none keeps accepting it from its key cache. Carried over
 * Redis pub/sub; messages hold only key ids. Delivery is best effort: a
 * replica that misses a message still refuses the key once its cache entry
 * expires (`GatewayKeys` cacheTtlMs).
 */
import { Redis } from 'ioredis';

export interface KeyChangeBusOptions {
  url: string;
  /** channel name; default `safegate:keys:changed` */
  channel?: string;
  onError?: (err: Error) => void;
}

export class RedisKeyChangeBus {
  readonly #pub: Redis;
  #sub: Redis | null = null;
  readonly #channel: string;
  readonly #options: KeyChangeBusOptions;

  constructor(options: KeyChangeBusOptions) {
    this.#options = options;
    this.#channel = options.channel ?? 'safegate:keys:changed';
    this.#pub = this.#connect();
  }

  #connect(): Redis {
    const client = new Redis(this.#options.url, { maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 1000 });
    client.on('error', this.#options.onError ?? (() => undefined));
    return client;
  }

  async publish(keyId: string): Promise<void> {
    await this.#pub.publish(this.#channel, keyId);
  }

  /** Calls `handler` with every key id published from now on (by any process). */
  async subscribe(handler: (keyId: string) => void): Promise<void> {
    // A subscribed connection can do nothing else, so it is a second one.
    const sub = (this.#sub ??= this.#connect());
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) handler(message);
    });
    await sub.subscribe(this.#channel);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#pub.quit(), this.#sub?.quit()]);
  }
}
