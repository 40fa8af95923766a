import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkById, checks } from './index.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
/** Files in this folder that define a check; other modules beside them (e.g. the docs renderer) are not checks. */
const checkFiles = readdirSync(folder)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
  .filter((f) => /^export default defineCheck\(/m.test(readFileSync(folder + f, 'utf8')))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

describe('check registry', () => {
  it('lists every check file in the folder, under its file name', () => {
    expect(checks.map((c) => c.id).sort()).toEqual(checkFiles);
  });

  it('has unique ids', () => {
    expect(new Set(checks.map((c) => c.id)).size).toBe(checks.length);
  });

  it.each(checks.map((c) => [c.id, c] as const))('%s has a kebab-case id, a valid stage and phase, and a description', (id, c) => {
    expect(id).toMatch(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/);
    expect(['input', 'output', 'both']).toContain(c.stage);
    expect([undefined, 'normalize', 'check']).toContain(c.phase);
    expect(c.description.length).toBeGreaterThan(10);
    expect(typeof c.run).toBe('function');
  });

  it.each(checks.map((c) => [c.id, c] as const))('%s has a config schema with a default for every field', (_id, c) => {
    expect(c.config.safeParse({}).success).toBe(true);
  });

  it('finds a check by id', () => {
    expect(checkById('pii')?.id).toBe('pii');
    expect(checkById('no-such-check')).toBeUndefined();
  });
});
