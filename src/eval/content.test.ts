import { describe, expect, it } from 'vitest';
import type { Classifier, Scores } from '../classifiers/model.js';
import type { LabelledRecord } from '../classifiers/training/data.js';
import { contentCatches, renderContentCatches } from './content.js';

/** Flags `hate` for texts containing "h" and `violence` for texts containing "v" (the eval reads only score and flagged). */
const model = {
  score: (text: string): Scores => ({ hate: text.includes('h') ? 1 : 0, violence: text.includes('v') ? 1 : 0 }),
  flagged: (s: Scores): string[] => Object.keys(s).filter((k) => (s[k] ?? 0) >= 0.5),
} as unknown as Classifier;

const rec = (text: string, theme: string, labels: Record<string, number>): LabelledRecord =>
  ({ id: text, text, labels, dataset: 'd', source: 's', license: 'MIT', meta: { theme } }) as unknown as LabelledRecord;

describe('contentCatches', () => {
  it('counts a positive as caught only in one of its own categories, and benign texts flagged in any', () => {
    const rows = contentCatches(model, [
      rec('h', 'hate', { hate: 1 }),
      rec('v', 'hate', { hate: 1 }),
      rec('x', 'hate', { hate: 1 }),
      rec('hv', 'hate', { benign: 1, hate: 0 }),
      rec('y', 'hate', { benign: 1, hate: 0 }),
      rec('v', 'violence', { violence: 1, 'violence/graphic': 1 }),
    ]);
    expect(rows).toEqual([
      { theme: 'hate', positives: 3, caught: 1, flaggedAny: 2, negatives: 2, falseAlarms: 1 },
      { theme: 'violence', positives: 1, caught: 1, flaggedAny: 1, negatives: 0, falseAlarms: 0 },
      { theme: 'all', positives: 4, caught: 2, flaggedAny: 3, negatives: 2, falseAlarms: 1 },
    ]);
    const md = renderContentCatches('### t', rows);
    expect(md).toContain('| `hate` | 1 / 3 (33%) | 2 / 3 (67%) | 1 / 2 (50%) |');
    expect(md).toContain('| `violence` | 1 / 1 (100%) | 1 / 1 (100%) | – |');
    expect(md).toContain('| **all** | 2 / 4 (50%) | 3 / 4 (75%) | 1 / 2 (50%) |');
  });
});
