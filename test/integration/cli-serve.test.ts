/**
 * The README's first command, as a user runs it: `safegate serve` in its own
 * process with no configuration and no provider key; the first key is in a
 * 0600 file (never in the log); SIGTERM drains and exits 0 with the audit
 * log flushed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open.js';

const ROOT = new URL('../..', import.meta.url).pathname;
let child: ChildProcess | null = null;

function serve(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; output: () => string; port: Promise<number> } {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/helpers/cli-entry.ts'), 'serve', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  const port = new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/[^:]+:(\d+)\/v1/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  port.catch(() => undefined);
  return { proc, output: () => out, port };
}

afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
});

describe('safegate serve', () => {
  it('starts on the embedded default, answers with the first key, and shuts down cleanly', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-cli-'));
    const s = serve(['--port', '0', '--data-dir', dataDir]);
    const port = await s.port;
    const keyFile = join(dataDir, 'initial-key.txt');
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(s.output()).not.toContain(key);

    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'How do I reset my password?' }] }).withResponse();
    expect(data.choices[0]!.message.content).toContain('From "');
    const requestId = response.headers.get('x-request-id')!;

    const exit = new Promise<number | null>((resolve) => s.proc.on('exit', resolve));
    s.proc.kill('SIGTERM');
    expect(await exit).toBe(0);
    child = null;
    const store = await openStore({ dataDir });
    try {
      expect((await store.audit.get(requestId))?.status).toBe(200);
    } finally {
      await store.close();
    }
  });

  it('stops with the file, the path and what was expected on a bad configuration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-cli-'));
    const file = join(dir, 'safegate.yaml');
    writeFileSync(file, 'server:\n  port: seventy\n');
    const s = serve(['--config', file, '--data-dir', dir]);
    const code = await new Promise<number | null>((resolve) => s.proc.on('exit', resolve));
    expect(code).toBe(2);
    expect(s.output()).toContain(file);
    expect(s.output()).toContain('server.port');
    child = null;
  });
});
