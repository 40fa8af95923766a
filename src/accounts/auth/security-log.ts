/**
 * Writes security events (sign-ins, failures, throttling, level changes,
 * webhook refusals) without holding up the request that caused them.
 *
 * Why not awaited: several events are raised inside better-auth's database
 * transactions, and on SQLite the store has one connection, so awaiting
 * another write there would wait on itself. Recording also must not add
 * timing differences between, say, an unknown email and a wrong password.
 * A failed write is logged (without the event's details) and not retried.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { SecurityEvent, SecurityEventRepo } from '../../storage/types.js';

export type SecurityEventInput = Omit<SecurityEvent, 'id' | 'time'>;

export class SecurityLog {
  readonly #repo: SecurityEventRepo;
  readonly #logger: Logger;
  readonly #secret: Buffer;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: { repo: SecurityEventRepo; logger: Logger; secret: Buffer }) {
    this.#repo = options.repo;
    this.#logger = options.logger;
    this.#secret = options.secret;
  }

  /**
   * Queues an event; returns at once. The event may still be in the making
   * (a promise, e.g. waiting for a lookup of the subject); `flush` waits for it.
   */
  record(event: SecurityEventInput | Promise<SecurityEventInput>): void {
    const write = Promise.resolve(event).then(
      (e) => this.#repo.record(e).then(
        () => undefined,
        (err: Error) => this.#logger.error({ err: err.message, type: e.type }, 'writing a security event failed'),
      ),
      (err: Error) => this.#logger.error({ err: err.message }, 'building a security event failed'),
    );
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
  }

  /** Resolves when every event queued so far is written (or has failed). */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /**
   * A stable pseudonym for an email address, for events about addresses that
   * may not belong to any account (failed sign-ins): a keyed hash, so the log
   * neither holds the address nor lets someone without the secret test
   * guesses against it. Administrators can compute it for an address they
   * investigate (`safegate accounts show --email`).
   */
  emailRef(email: string): string {
    return 'em_' + createHmac('sha256', this.#secret).update(`email:${email.trim().toLowerCase()}`).digest('hex').slice(0, 20);
  }
}
