import { describe, expect, it } from 'vitest';
import { LETTER_BIGRAMS } from '../letter-bigrams.js';
import { countBigrams, logProbabilities } from './build-letter-bigrams.js';

const at = (a: string, b: string): number => (a === ' ' ? 0 : a.charCodeAt(0) - 96) * 27 + (b === ' ' ? 0 : b.charCodeAt(0) - 96);

describe('letter bigrams', () => {
  it('counts runs of a-z with a boundary before and after, case-folded', () => {
    const c = countBigrams(['The cat', 'it3s']);
    expect(c[at(' ', 't')]).toBe(1);
    expect(c[at('t', 'h')]).toBe(1);
    expect(c[at('e', ' ')]).toBe(1);
    expect(c[at('t', ' ')]).toBe(2);
    expect(c[at(' ', 's')]).toBe(1); // the digit ends "it"; "s" is a word of its own
    expect(c.reduce((s, v) => s + v, 0)).toBe(4 + 4 + 3 + 2);
  });

  it('turns counts into smoothed log-probabilities, each row a distribution', () => {
    const lp = logProbabilities(countBigrams(['the then them there']));
    for (let a = 0; a < 27; a++) {
      let total = 0;
      for (let b = 0; b < 27; b++) total += Math.exp(lp[a * 27 + b]! / 100);
      expect(total).toBeCloseTo(1, 1);
    }
    expect(lp[at('t', 'h')]).toBeGreaterThan(lp[at('t', 'q')]!);
  });

  it('ships a table in which English bigrams beat their rot13 images', () => {
    expect(LETTER_BIGRAMS).toHaveLength(27 * 27);
    // "th" (t→h) against its rot13 "gu"; "e " against "r ".
    expect(LETTER_BIGRAMS[at('t', 'h')]!).toBeGreaterThan(LETTER_BIGRAMS[at('g', 'u')]!);
    expect(LETTER_BIGRAMS[at('e', ' ')]!).toBeGreaterThan(LETTER_BIGRAMS[at('r', ' ')]!);
  });
});
