/**
 * Server-sent events from a provider's response body, as an async iterator.
 *
 * Hand-written rather than an async generator: a network read usually carries
 * many events, and those already parsed are handed out as resolved promises,
 * without a generator resume per event; the guard reads every event, so this
 * is on the per-token path. Each event but the last of a read is marked
 * `more` (see `SseEvent.more`).
 *
 * Contract: a callback given to `onEnd` runs exactly once, when the body
 * ends, fails, or the reader is stopped early (`return`, as `for await` does
 * on break or throw).
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { SseEvent } from './types.js';

const DONE: IteratorResult<SseEvent> = Object.freeze({ value: undefined, done: true });
/** Bounds on reading a body after its consumer stopped (see `return`). */
const DRAIN_MS = 5_000;
const DRAIN_READS = 64;

export class SseReader implements AsyncIterableIterator<SseEvent> {
  private queue: SseEvent[] = [];
  private head = 0;
  private ended = false;
  private readonly source: AsyncIterator<Buffer | string>;
  private readonly parser: EventSourceParser;
  private readonly decoder = new TextDecoder();

  private ending: (() => void) | null = null;

  constructor(private readonly body: AsyncIterable<Buffer | string>) {
    this.source = body[Symbol.asyncIterator]();
    this.parser = createParser({
      onEvent: (e) => {
        this.queue.push(e.event ? { event: e.event, data: e.data } : { data: e.data });
      },
    });
  }

  /** Runs `fn` once when the stream is over (at once if it already is). */
  onEnd(fn: () => void): void {
    if (this.ended) fn();
    else this.ending = fn;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<SseEvent>> {
    if (this.head < this.queue.length) return Promise.resolve(this.take());
    if (this.ended) return Promise.resolve(DONE);
    return this.fill();
  }

  /**
   * The consumer stopped early, usually right after `[DONE]`, when the body
   * is about to end anyway. It is read to its end in the background rather
   * than destroyed: destroying an unfinished response costs an abort error
   * and can cost the connection. A body that does not end within
   * DRAIN_MS (or DRAIN_READS reads) is destroyed.
   */
  async return(): Promise<IteratorResult<SseEvent>> {
    this.queue = [];
    this.head = 0;
    if (!this.ended) {
      this.end();
      this.drain();
    }
    return DONE;
  }

  private drain(): void {
    const destroy = () => (this.body as { destroy?: () => void }).destroy?.();
    const timer = setTimeout(destroy, DRAIN_MS);
    timer.unref?.();
    void (async () => {
      try {
        for (let i = 0; i < DRAIN_READS; i++) if ((await this.source.next()).done) return;
        destroy();
      } catch {
        // the body failed while draining: nothing is waiting for it
      } finally {
        clearTimeout(timer);
      }
    })();
  }

  private take(): IteratorResult<SseEvent> {
    const e = this.queue[this.head++]!;
    if (this.head < this.queue.length) e.more = true;
    else {
      this.queue = [];
      this.head = 0;
    }
    return { value: e, done: false };
  }

  private async fill(): Promise<IteratorResult<SseEvent>> {
    try {
      while (this.head >= this.queue.length) {
        if (this.ended) return DONE;
        const r = await this.source.next();
        if (r.done) {
          this.parser.feed(this.decoder.decode());
          this.end();
        } else {
          this.parser.feed(typeof r.value === 'string' ? r.value : this.decoder.decode(r.value, { stream: true }));
        }
      }
      return this.take();
    } catch (err) {
      this.end();
      throw err;
    }
  }

  private end(): void {
    this.ended = true;
    const fn = this.ending;
    this.ending = null;
    fn?.();
  }
}
