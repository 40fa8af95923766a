/**
 * The child side of the benchmark's process protocol. Every measured server
 * runs in its own process so the load generator never shares an event loop
 * with it; the parent talks to it over the IPC channel.
 *
 * Contract: a child announces `{type: 'ready', url, facts}` once it listens,
 * exits on `{type: 'stop'}` after closing, and exits at once when the parent
 * goes away (the IPC channel disconnects), so no server outlives a bench run.
 */

export type ParentMessage = { type: 'stop' } | { type: 'profile-start' } | { type: 'profile-stop'; file: string };

export type ChildMessage =
  | { type: 'ready'; url: string; facts: Record<string, string> }
  | { type: 'profile-written'; file: string }
  | { type: 'failed'; message: string };

export function send(message: ChildMessage): void {
  process.send?.(message);
}

/**
 * Wires the protocol: `onStop` closes the server; `onMessage` handles the
 * other messages. Exits when the parent disconnects.
 */
export function serveParent(onStop: () => Promise<void>, onMessage: (m: ParentMessage) => void = () => undefined): void {
  if (!process.send) throw new Error('this entry runs as a child of bench/gateway.bench.ts');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    onStop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (m: ParentMessage) => (m.type === 'stop' ? stop() : onMessage(m)));
  process.on('disconnect', () => process.exit(0));
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', stop);
}

/** Reports a start failure to the parent and exits. */
export function fail(err: unknown): never {
  send({ type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  process.exit(1);
}
