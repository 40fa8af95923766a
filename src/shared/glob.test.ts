import { describe, expect, it } from 'vitest';
import { globToRegExp, matchesAnyGlob } from './glob.js';

describe('globToRegExp', () => {
  it.each([
    ['gpt-4o*', 'gpt-4o', true],
    ['gpt-4o*', 'gpt-4o-mini-2024-07-18', true],
    ['gpt-4o*', 'gpt-4', false],
    ['gpt-4o*', 'my-gpt-4o', false],
    ['gpt-4o', 'gpt-4o-mini', false],
    ['o?-mini', 'o3-mini', true],
    ['o?-mini', 'o-mini', false],
    ['gpt-4.1', 'gpt-4x1', false],
    ['gpt-4.1', 'gpt-4.1', true],
    ['*', 'anything at all', true],
    ['llama(3)', 'llama(3)', true],
    ['GPT-4o', 'gpt-4o', false],
  ])('%s vs %s → %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });

  it('matches against a list', () => {
    const globs = ['gpt-4o*', 'o3'].map(globToRegExp);
    expect(matchesAnyGlob('o3', globs)).toBe(true);
    expect(matchesAnyGlob('o3-pro', globs)).toBe(false);
    expect(matchesAnyGlob('x', [])).toBe(false);
  });
});
