import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('safegate config', () => {
  it('prints the JSON Schema', async () => {
    const { out } = capture();
    expect(await main(['config', 'schema'])).toBe(0);
    expect(JSON.parse(out.join('')).properties.policies).toBeDefined();
  });

  it('validates a good file and lists the compiled policies', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sg-cc-')), 'safegate.yaml');
    writeFileSync(file, 'policies:\n  strict:\n    extends: builtin\n    blocking: { mode: refusal }\n');
    const { out } = capture();
    expect(await main(['config', 'check', '--config', file])).toBe(0);
    expect(out.join('')).toContain('strict: input [');
  });

  it('exits 2 with the path of the problem for a bad file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sg-cc-')), 'safegate.yaml');
    writeFileSync(file, 'policies:\n  p:\n    input:\n      no-such-check: {}\n');
    const { err } = capture();
    expect(await main(['config', 'check', '--config', file])).toBe(2);
    expect(err.join('')).toContain('policies.p.input.no-such-check');
  });
});
