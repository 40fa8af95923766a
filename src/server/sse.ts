/** Server-sent events on the wire, and a web stream over an async generator of them. */
import type { SseEvent } from '../upstream/types.js';

const encoder = new TextEncoder();

export function encodeSse(e: SseEvent): string {
  // Data never contains raw newlines here (it is JSON or [DONE]); split defensively anyway.
  const data = e.data.includes('\n') ? e.data.split('\n').map((l) => `data: ${l}`).join('\n') : `data: ${e.data}`;
  return e.event ? `event: ${e.event}\n${data}\n\n` : `${data}\n\n`;
}

/**
 * A byte stream for the HTTP response. Cancelling it (the client went away)
 * calls `return()` on the generator, which runs its cleanup: the upstream is
 * aborted and the audit record is written.
 */
export function sseStream(events: AsyncGenerator<SseEvent>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(encodeSse(next.value)));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await events.return(undefined);
    },
  });
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};
