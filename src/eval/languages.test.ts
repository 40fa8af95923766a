import { describe, expect, it } from 'vitest';
import type { Classifier, Scores } from '../classifiers/model.js';
import type { LabelledRecord } from '../classifiers/training/data.js';
import { languageFlags, renderLanguageFlags } from './languages.js';

/** A classifier that flags texts containing "x" (the eval reads only score and flagged). */
const flagsX = {
  score: (text: string): Scores => ({ a: text.includes('x') ? 1 : 0 }),
  flagged: (s: Scores): string[] => ((s.a ?? 0) >= 0.5 ? ['a'] : []),
} as unknown as Classifier;

const rec = (text: string, language?: string): LabelledRecord =>
  ({ id: text, text, labels: { benign: 1 }, dataset: 'd', source: 's', license: 'MIT', meta: language === undefined ? {} : { language } }) as unknown as LabelledRecord;

describe('languageFlags', () => {
  it('counts flagged texts per language and model, and in all', () => {
    const f = languageFlags(new Map([['m', flagsX]]), [rec('ax', 'sw'), rec('b', 'sw'), rec('c', 'vi'), rec('x')]);
    expect(f.rows).toEqual([
      { language: 'sw', n: 2, flagged: { m: 1 } },
      { language: 'vi', n: 1, flagged: { m: 0 } },
      { language: '(unmarked)', n: 1, flagged: { m: 1 } },
    ]);
    expect(f.total).toEqual({ n: 4, flagged: { m: 2 } });
    const md = renderLanguageFlags('### t', f);
    expect(md).toContain('| sw | 1 / 2 |');
    expect(md).toContain('| **all** | **2 / 4** |');
  });
});
