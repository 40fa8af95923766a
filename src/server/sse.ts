/**
 * Server-sent events on the wire: written straight to Node's response when
 * served by @hono/node-server, else as a web stream over the events.
 */
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
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

/** Resolves when `out` can take more data or has closed. */
function drained(out: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/**
 * Writes the events straight to Node's response: no web stream in between,
 * and the headers go out with the first event rather than in a write of
 * their own. A client that goes away stops the generator (`return()`), which
 * runs its cleanup as cancelling the web stream would.
 */
async function pump(events: AsyncGenerator<SseEvent>, out: ServerResponse): Promise<void> {
  // Events produced together (a released window, the finish chunk, [DONE]) go out in one write:
  // the socket is corked at the first of them and uncorked once the current burst of microtasks is over.
  let corked = false;
  const uncork = () => {
    corked = false;
    out.uncork();
  };
  try {
    for await (const e of events) {
      if (out.destroyed) break;
      if (!corked) {
        corked = true;
        out.cork();
        process.nextTick(uncork);
      }
      if (!out.write(encodeSse(e))) await drained(out);
    }
  } catch {
    // The generator records its own failures (audit, logs); the client's stream just ends.
  } finally {
    if (!out.destroyed) out.end();
  }
}

/**
 * The response for an event stream: written directly when `outgoing` (Node's
 * response under @hono/node-server) is given, else a web-stream Response.
 */
export function sseResponse(events: AsyncGenerator<SseEvent>, headers: Record<string, string>, outgoing: ServerResponse | undefined): Response {
  if (!outgoing) return new Response(sseStream(events), { status: 200, headers: { ...SSE_HEADERS, ...headers } });
  outgoing.writeHead(200, { ...SSE_HEADERS, ...headers });
  void pump(events, outgoing);
  return RESPONSE_ALREADY_SENT;
}
