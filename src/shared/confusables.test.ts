import { describe, expect, it } from 'vitest';
import { LATIN_LOOKALIKE_PATTERN, latinLookalike } from './confusables.js';

describe('latinLookalike', () => {
  it.each([
    ['\u0430', 'a'], // Cyrillic а
    ['\u0440', 'p'], // Cyrillic р
    ['\u0421', 'C'], // Cyrillic С
    ['\u039F', 'O'], // Greek Ο
    ['\u03BF', 'o'], // Greek ο
  ])('maps %s to %s', (ch, latin) => {
    expect(latinLookalike(ch)).toBe(latin);
    expect(LATIN_LOOKALIKE_PATTERN.test(ch)).toBe(true);
  });

  it.each([
    ['Latin a', 'a'],
    ['Greek alpha', '\u03B1'],
    ['Greek mu', '\u03BC'],
    ['Cyrillic zhe', '\u0436'],
    ['Cyrillic lower-case ka', '\u043A'],
    ['Arabic alef', '\u0627'],
  ])('leaves %s alone', (_label, ch) => {
    expect(latinLookalike(ch)).toBeUndefined();
    expect(LATIN_LOOKALIKE_PATTERN.test(ch)).toBe(false);
  });

  it('maps every entry to a single ASCII letter', () => {
    for (let cp = 0x370; cp < 0x530; cp++) {
      const latin = latinLookalike(String.fromCodePoint(cp));
      if (latin !== undefined) expect(latin).toMatch(/^[A-Za-z]$/);
    }
  });
});
