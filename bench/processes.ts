/**
 * The parent side of the benchmark's process protocol (see targets/child.ts):
 * starts each server in its own Node process, waits until it listens, and
 * makes sure none outlives the run, whether it ends normally, fails or is
 * interrupted with Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './targets/child.js';

const here = dirname(fileURLToPath(import.meta.url));
const live = new Set<ChildProcess>();

export interface Server {
  name: string;
  /** base URL including /v1 */
  url: string;
  /** what the child reported about itself (build, checks, key, ...) */
  facts: Record<string, string>;
  pid: number;
  send(message: ParentMessage): void;
  /** resolves with the next message of `type` from the child */
  next<T extends ChildMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<ChildMessage, { type: T }>>;
  /** asks the child to close, and kills it if it has not exited within 5 s */
  stop(): Promise<void>;
}

/** Starts `targets/<entry>` with tsx and resolves once it listens (at most `timeoutMs`). */
export function startServer(name: string, entry: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'targets', entry)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  live.add(child);
  // A message to a child that is already exiting fails with EPIPE; exit is what we wanted anyway.
  child.on('error', () => undefined);
  const post = (message: ParentMessage) => {
    if (child.connected) child.send(message, () => undefined);
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => live.delete(child));

  const next = <T extends ChildMessage['type']>(type: T, wait = 30_000) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${name}: no "${type}" message within ${wait} ms`)), wait);
      const onMessage = (m: ChildMessage) => {
        if (m.type === type) done(null, m as Extract<ChildMessage, { type: T }>);
        else if (m.type === 'failed') done(new Error(`${name} failed:\n${m.message}`));
      };
      const onExit = (code: number | null) => done(new Error(`${name} exited (code ${code}) before sending "${type}"`));
      function done(err: Error | null, m?: Extract<ChildMessage, { type: T }>) {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(m!);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  return next('ready', timeoutMs).then(
    (ready) => ({
      name,
      url: ready.url,
      facts: ready.facts,
      pid: child.pid!,
      send: post,
      next,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        post({ type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      },
    }),
    (err: Error) => {
      child.kill('SIGKILL');
      throw err;
    },
  );
}

/** Kills every child still running; safe to call from an exit handler (synchronous). */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
