/**
 * Writes audit records in the background so that the request path never
 * waits on the database.
 *
 * Guarantees:
 * - `write()` is synchronous, constant time, and never throws.
 * - Records reach `insertMany` in the order they were written, one batch of
 *   at most `batchSize` records at a time. Writing starts `flushIntervalMs`
 *   after the first queued record, or at once when `batchSize` are queued,
 *   and then continues batch after batch until the queue is empty.
 * - A failed batch is retried, with exponential backoff, until it is written;
 *   newer records wait behind it. `AuditRepo.insertMany` skips request ids
 *   already stored, so a retry after an ambiguous failure writes no duplicates.
 *   A batch that can never be written (a malformed record) therefore holds
 *   the queue until the bound drops it; `onError` reports every attempt.
 * - Memory is bounded: beyond `maxQueued` records the oldest waiting ones are
 *   dropped and counted in `stats().dropped`.
 * - `close()` resolves once every record written before it is stored (or
 *   dropped on its deadline); call it on shutdown.
 *
 * @example
 * const writer = new AuditWriter({ repo: store.audit, onError: (err) => log.error({ err }, 'audit write failed') });
 * writer.write(record);        // in the request path
 * await writer.close();        // on shutdown
 */
import type { AuditRecord, AuditRepo } from './types.js';

export interface AuditWriterOptions {
  repo: Pick<AuditRepo, 'insertMany'>;
  /** Called with each failed write (and misuse such as writing after close); must not throw. */
  onError?: (err: unknown) => void;
  /** Longest time a record waits before its batch starts, in ms. Default 100. */
  flushIntervalMs?: number;
  /** Most records per `insertMany` call; reaching it starts a batch at once. Default 500. */
  batchSize?: number;
  /** Most records held in memory, including the batch being written. Default 100,000. */
  maxQueued?: number;
  /** First retry delay after a failed write, doubled per consecutive failure, in ms. Default 100. */
  retryInitialMs?: number;
  /** Longest retry delay, in ms. Default 5,000. */
  retryMaxMs?: number;
}

export interface AuditWriterStats {
  /** records waiting, including the batch being written */
  queued: number;
  /** records stored */
  written: number;
  /** failed `insertMany` calls (each was retried) */
  failed: number;
  /** records discarded because the queue was full, or written after close */
  dropped: number;
}

interface Entry {
  seq: number;
  record: AuditRecord;
}

interface Waiter {
  seq: number;
  resolve: () => void;
}

export class AuditWriter {
  readonly #repo: Pick<AuditRepo, 'insertMany'>;
  readonly #onError: (err: unknown) => void;
  readonly #flushIntervalMs: number;
  readonly #batchSize: number;
  readonly #maxQueued: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;

  /** Waiting records are `#queue[#head..]`; the array is compacted as the head advances. */
  #queue: Entry[] = [];
  #head = 0;
  #inFlight: Entry[] = [];
  #seq = 0;
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #closed = false;
  #abandoned = false;
  #wakeRetry: (() => void) | undefined;
  #stats = { written: 0, failed: 0, dropped: 0 };

  constructor(options: AuditWriterOptions) {
    this.#repo = options.repo;
    const onError = options.onError ?? (() => {});
    this.#onError = (err) => {
      try {
        onError(err);
      } catch {
        // A failing error reporter must not break the writer.
      }
    };
    this.#flushIntervalMs = options.flushIntervalMs ?? 100;
    this.#batchSize = Math.max(1, options.batchSize ?? 500);
    this.#maxQueued = Math.max(this.#batchSize, options.maxQueued ?? 100_000);
    this.#retryInitialMs = options.retryInitialMs ?? 100;
    this.#retryMaxMs = options.retryMaxMs ?? 5_000;
  }

  /** Queues a record. Never throws and never waits. */
  write(record: AuditRecord): void {
    if (this.#closed) {
      this.#stats.dropped += 1;
      this.#onError(new Error('audit record written after the audit writer was closed; dropped'));
      return;
    }
    this.#queue.push({ seq: ++this.#seq, record });
    if (this.#pending() > this.#maxQueued) this.#dropOldest();
    if (this.#waiting() >= this.#batchSize) this.#startSoon(0);
    else this.#startSoon(this.#flushIntervalMs);
  }

  /**
   * Starts writing now (a retry wait under way is not cut short); resolves
   * once every record written before the call is stored or dropped.
   */
  flush(): Promise<void> {
    const target = this.#seq;
    if (this.#settledThrough() >= target) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#waiters.push({ seq: target, resolve }));
    this.#startSoon(0);
    return done;
  }

  /**
   * Refuses new records and resolves once every queued record is stored.
   * With `timeoutMs`, gives up after that long: records still waiting are
   * counted as dropped and reported through `onError`; a batch being written
   * at that moment counts as written or dropped when its write ends.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed = true;
    const flushed = this.flush();
    if (options.timeoutMs === undefined) return flushed;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    const outcome = await Promise.race([flushed, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.#abandon();
  }

  stats(): AuditWriterStats {
    return { queued: this.#pending(), ...this.#stats };
  }

  #pending(): number {
    return this.#waiting() + this.#inFlight.length;
  }

  #waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** Highest sequence number up to which every record is stored or dropped. */
  #settledThrough(): number {
    const oldest = this.#inFlight[0] ?? this.#queue[this.#head];
    return oldest ? oldest.seq - 1 : this.#seq;
  }

  #dropOldest(): void {
    this.#head += 1;
    this.#stats.dropped += 1;
    this.#compact();
    this.#settleWaiters();
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    const settled = this.#settledThrough();
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.seq <= settled) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  #startSoon(delayMs: number): void {
    // A running loop picks new records up by itself, and a retry wait is never
    // cut short: while the database is down, load must not turn into retries.
    if (this.#running) return;
    if (this.#timer && delayMs > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, delayMs);
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    let failures = 0;
    try {
      while (this.#waiting() > 0 && !this.#abandoned) {
        const end = Math.min(this.#head + this.#batchSize, this.#queue.length);
        this.#inFlight = this.#queue.slice(this.#head, end);
        this.#head = end;
        this.#compact();
        try {
          await this.#repo.insertMany(this.#inFlight.map((e) => e.record));
          this.#stats.written += this.#inFlight.length;
          this.#inFlight = [];
          failures = 0;
        } catch (err) {
          this.#stats.failed += 1;
          this.#onError(err);
          if (this.#abandoned) {
            this.#stats.dropped += this.#inFlight.length;
            this.#inFlight = [];
          } else {
            this.#requeueInFlight();
            failures += 1;
            await this.#sleep(Math.min(this.#retryInitialMs * 2 ** (failures - 1), this.#retryMaxMs));
          }
        }
        this.#settleWaiters();
      }
    } finally {
      this.#running = false;
    }
  }

  /** Puts a failed batch back in front of newer records, then re-applies the bound. */
  #requeueInFlight(): void {
    this.#queue = [...this.#inFlight, ...this.#queue.slice(this.#head)];
    this.#head = 0;
    this.#inFlight = [];
    while (this.#pending() > this.#maxQueued) this.#dropOldest();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeRetry = undefined;
        resolve();
      }, ms);
      this.#wakeRetry = () => {
        clearTimeout(timer);
        this.#wakeRetry = undefined;
        resolve();
      };
    });
  }

  /** Stops retrying and drops waiting records; a batch already being written ends on its own. */
  #abandon(): void {
    this.#abandoned = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const lost = this.#waiting();
    this.#stats.dropped += lost;
    this.#queue = [];
    this.#head = 0;
    this.#wakeRetry?.();
    this.#settleWaiters();
    if (lost > 0) this.#onError(new Error(`audit writer closed with ${lost} unwritten records; dropped`));
  }
}
