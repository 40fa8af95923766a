import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderChecksDoc } from './render-docs.js';

describe('docs/checks.md', () => {
  it('matches the check definitions (run npm run docs:checks after changing a check)', () => {
    expect(readFileSync(new URL('../../docs/checks.md', import.meta.url), 'utf8')).toBe(renderChecksDoc());
  });
});
