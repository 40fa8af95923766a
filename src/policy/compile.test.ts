import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema, type ConfigInput } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { defineCheck, type CheckDefinition } from '../pipeline/types.js';
import { compilePolicies } from './compile.js';

const allow = () => ({ decision: 'allow' as const, reasons: [] });
const registry: CheckDefinition[] = [
  defineCheck({ id: 'secrets', stage: 'both', description: '', config: z.object({ action: z.enum(['block', 'redact']).default('block') }), run: allow }),
  defineCheck({ id: 'pii', stage: 'both', description: '', config: z.object({ email: z.enum(['flag', 'redact']).default('flag') }).strict(), run: allow }),
  defineCheck({ id: 'input-limits', stage: 'input', description: '', config: z.object({ maxChars: z.number().default(10) }), run: allow }),
];
const compile = (input: ConfigInput) => compilePolicies(configSchema.parse(input), registry);

describe('compilePolicies', () => {
  it('builds the default policy from the built-in one, skipping checks that are not installed', () => {
    const set = compile({});
    const p = set.get(null);
    expect(p.name).toBe('default');
    expect(p.input.map((c) => c.definition.id)).toEqual(['input-limits', 'secrets', 'pii']);
    expect(p.output.map((c) => [c.definition.id, c.config])).toEqual([['secrets', { action: 'redact' }], ['pii', { email: 'flag' }]]);
    expect(p.blocking.mode).toBe('error');
  });

  it('inherits, overrides settings, merges check config and removes checks', () => {
    const set = compile({
      policies: {
        base: { input: { secrets: { config: { action: 'redact' } }, pii: {} }, blocking: { mode: 'refusal' } },
        child: { extends: 'base', input: { pii: null, secrets: { mode: 'shadow', config: {} } }, streaming: { holdBackChars: 64 } },
      },
    });
    const child = set.get('child');
    expect(child.input).toHaveLength(1);
    expect(child.input[0]).toMatchObject({ mode: 'shadow', config: { action: 'redact' } });
    expect(child.blocking.mode).toBe('refusal');
    expect(child.streaming.holdBackChars).toBe(64);
  });

  it('falls back to the default policy for an unknown name', () => {
    expect(compile({}).get('nope').name).toBe('default');
  });

  it.each([
    [{ policies: { p: { input: { nosuch: {} } } } }, 'policies.p.input.nosuch: no check with this id'],
    [{ policies: { p: { output: { 'input-limits': {} } } } }, 'this check runs on input only'],
    [{ policies: { p: { input: { pii: { config: { email: 'shout' } } } } } }, 'policies.p.input.pii.config.email'],
    [{ policies: { p: { input: { pii: { config: { typo: 1 } } } } } }, 'policies.p.input.pii.config'],
    [{ policies: { a: { extends: 'b' }, b: { extends: 'a' } } }, 'circular'],
    [{ policies: { a: { extends: 'ghost' } } }, 'no policy named "ghost"'],
    [{ defaultPolicy: 'missing' }, 'defaultPolicy'],
  ] as const)('refuses bad policies with a precise message (%#)', (input, message) => {
    let error: unknown;
    try {
      compile(input as ConfigInput);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
  });
});
