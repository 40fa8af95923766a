import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/run-cli.js';

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sg-cc-')), 'safegate.yaml');
  writeFileSync(file, text);
  return file;
}

describe('safegate config', () => {
  it('prints the JSON Schema', async () => {
    const r = await runCli('config', 'schema');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).properties.policies).toBeDefined();
  });

  it('validates a good file and lists the compiled policies', async () => {
    const r = await runCli('config', 'check', '--config', configFile('policies:\n  strict:\n    extends: builtin\n    blocking: { mode: refusal }\n'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('strict: input [');
  });

  it('exits 2 with the path of the problem for a bad file', async () => {
    const r = await runCli('config', 'check', '--config', configFile('policies:\n  p:\n    input:\n      no-such-check: {}\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('policies.p.input.no-such-check');
  });

  it('runs the classifier start-up checks: an unknown judge or a provider back-end without an upstream is reported', async () => {
    const judge = await runCli('config', 'check', '--config', configFile('policies:\n  p:\n    extends: builtin\n    input:\n      injection: { config: { backend: judge, judge: nobody } }\n'));
    expect(judge.code).toBe(2);
    expect(judge.stderr).toContain('policies.p.input.injection');
    expect(judge.stderr).toContain('nobody');
    const provider = await runCli('config', 'check', '--config', configFile('policies:\n  p:\n    extends: builtin\n    output:\n      moderation: { config: { backend: provider } }\n'));
    expect(provider.code).toBe(2);
    expect(provider.stderr).toContain('needs an upstream');
  });
});
