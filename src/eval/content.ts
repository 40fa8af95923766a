/**
 * Moderation on hand-written clear-cut content, by category: how much of it a
 * model catches in its own category at the default thresholds, and how many
 * benign texts on the same subjects it flags. Validation AUPRC says how well
 * scores rank; this says what a default deployment blocks.
 */
import type { Classifier } from '../classifiers/model.js';
import { MODERATION_LABELS } from '../classifiers/labels.js';
import type { LabelledRecord } from '../classifiers/training/data.js';

export interface ContentRow {
  theme: string;
  positives: number;
  /** Positives flagged in one of their own labelled categories. */
  caught: number;
  /** Positives flagged in some category, perhaps not theirs. */
  flaggedAny: number;
  negatives: number;
  /** Benign texts flagged in any category. */
  falseAlarms: number;
}

/** Per `meta[key]` (default `theme`), in first-seen order, with a total row last (theme `all`). */
export function contentCatches(model: Classifier, records: readonly LabelledRecord[], key = 'theme'): ContentRow[] {
  const rows = new Map<string, ContentRow>();
  const total: ContentRow = { theme: 'all', positives: 0, caught: 0, flaggedAny: 0, negatives: 0, falseAlarms: 0 };
  for (const r of records) {
    const value = r.meta[key];
    const theme = typeof value === 'string' ? value : '(unmarked)';
    let row = rows.get(theme);
    if (row === undefined) rows.set(theme, (row = { theme, positives: 0, caught: 0, flaggedAny: 0, negatives: 0, falseAlarms: 0 }));
    const flagged = model.flagged(model.score(r.text));
    const own = MODERATION_LABELS.filter((l) => r.labels[l] === 1);
    for (const x of [row, total]) {
      if (own.length > 0) {
        x.positives++;
        if (own.some((l) => flagged.includes(l))) x.caught++;
        if (flagged.length > 0) x.flaggedAny++;
      } else if (r.labels.benign === 1) {
        x.negatives++;
        if (flagged.length > 0) x.falseAlarms++;
      }
    }
  }
  return [...rows.values(), total];
}

/** Markdown table of `contentCatches`. */
export function renderContentCatches(title: string, rows: readonly ContentRow[]): string {
  const pct = (k: number, n: number): string => (n === 0 ? '–' : `${k} / ${n} (${((100 * k) / n).toFixed(0)}%)`);
  return [
    title,
    '',
    '| category | caught in its category | flagged in any | benign on the subject flagged |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => {
      const name = r.theme === 'all' ? '**all**' : `\`${r.theme}\``;
      return `| ${name} | ${pct(r.caught, r.positives)} | ${pct(r.flaggedAny, r.positives)} | ${pct(r.falseAlarms, r.negatives)} |`;
    }),
    '',
  ].join('\n');
}
