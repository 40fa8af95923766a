import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configJsonSchema, loadConfig } from './load.js';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
  const file = join(dir, 'safegate.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('gives working defaults with no file and no environment', () => {
    const { config } = loadConfig({ env: {}, file: yamlFile('') });
    expect(config.server).toMatchObject({ port: 8787, host: '127.0.0.1' });
    expect(config.upstreams).toEqual({});
    expect(config.auth.required).toBe(true);
    expect(config.defaultPolicy).toBe('default');
  });

  it('reads the environment, with SAFEGATE_* winning over OPENAI_*', () => {
    const { config } = loadConfig({
      file: yamlFile(''),
      env: { SAFEGATE_PORT: '9000', SAFEGATE_DATA_DIR: '/tmp/x', OPENAI_BASE_URL: 'http://a/v1', OPENAI_API_KEY: 'k1', SAFEGATE_UPSTREAM_URL: 'http://b/v1', DATABASE_URL: 'postgres://x' },
    });
    expect(config.server.port).toBe(9000);
    expect(config.dataDir).toBe('/tmp/x');
    expect(config.upstreams.default).toMatchObject({ baseUrl: 'http://b/v1', apiKey: 'k1' });
    expect(config.database.url).toBe('postgres://x');
  });

  it('uses the OpenAI default URL when only a key is given', () => {
    const { config } = loadConfig({ file: yamlFile(''), env: { OPENAI_API_KEY: 'k' } });
    expect(config.upstreams.default?.baseUrl).toBe('https://api.openai.com/v1');
  });

  it('lets command-line overrides win', () => {
    const { config } = loadConfig({ file: yamlFile('server:\n  port: 1234\n'), env: { SAFEGATE_PORT: '9000' }, overrides: { port: 5555 } });
    expect(config.server.port).toBe(5555);
  });

  it('parses durations and nested policies', () => {
    const { config } = loadConfig({
      env: {},
      file: yamlFile(`upstreams:\n  local:\n    baseUrl: http://127.0.0.1:11434/v1\n    timeout: 30s\npolicies:\n  strict:\n    extends: builtin\n    record: { content: true, retention: 7d }\n`),
    });
    expect(config.upstreams.local!.timeout).toBe(30_000);
    expect(config.policies.strict!.record!.retention).toBe(7 * 86_400_000);
  });

  it.each([
    ['server:\n  port: "eighty"\n', 'server.port'],
    ['server:\n  port: 99999\n', 'server.port'],
    ['upstreams:\n  x:\n    baseUrl: not-a-url\n', 'upstreams.x.baseUrl'],
    ['surprise: 1\n', 'unknown key(s) "surprise"'],
    ['policies:\n  p:\n    input:\n      pii:\n        mode: loud\n', 'policies.p.input.pii.mode'],
    ['upstreams:\n  x:\n    baseUrl: http://a\n    timeout: soon\n', 'upstreams.x.timeout'],
    ['a: [1, 2\n', 'YAML syntax'],
    ['- 1\n- 2\n', 'expected a mapping'],
  ])('stops on a bad file with the path and what was expected: %s', (text, expected) => {
    const file = yamlFile(text);
    let error: unknown;
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain(expected);
  });

  it('reports a missing file clearly', () => {
    expect(() => loadConfig({ file: '/nonexistent/safegate.yaml', env: {} })).toThrow(/cannot read the file \(ENOENT\)/);
  });

  it('reports a bad environment variable by name', () => {
    expect(() => loadConfig({ file: yamlFile(''), env: { SAFEGATE_PORT: 'abc' } })).toThrow(/SAFEGATE_PORT: expected an integer/);
  });

  it('exports a JSON Schema of the file', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['server', 'upstreams', 'policies', 'identity', 'auth']));
  });
});
