/**
 * Flag rates on benign texts by language: a model that learned "foreign
 * language" as a sign of harm (most non-English texts in the public data are
 * attacks or harmful requests) blocks ordinary users who do not write English.
 */
import type { Classifier } from '../classifiers/model.js';
import type { LabelledRecord } from '../classifiers/training/data.js';

export interface LanguageFlags {
  /** Per language code, in first-seen order: texts and how many each model flagged. */
  rows: { language: string; n: number; flagged: Record<string, number> }[];
  total: { n: number; flagged: Record<string, number> };
}

/** Flags of each model (any label at its default threshold) on `records`, by `meta.language`. */
export function languageFlags(models: ReadonlyMap<string, Classifier>, records: readonly LabelledRecord[]): LanguageFlags {
  const byLanguage = new Map<string, { n: number; flagged: Record<string, number> }>();
  const total = { n: 0, flagged: Object.fromEntries([...models.keys()].map((m) => [m, 0])) as Record<string, number> };
  for (const r of records) {
    const language = typeof r.meta.language === 'string' ? r.meta.language : '(unmarked)';
    let row = byLanguage.get(language);
    if (row === undefined) {
      row = { n: 0, flagged: Object.fromEntries([...models.keys()].map((m) => [m, 0])) };
      byLanguage.set(language, row);
    }
    row.n++;
    total.n++;
    for (const [name, model] of models) {
      if (model.flagged(model.score(r.text)).length === 0) continue;
      row.flagged[name]!++;
      total.flagged[name]!++;
    }
  }
  return { rows: [...byLanguage].map(([language, v]) => ({ language, ...v })), total };
}

/** Markdown table: one row a language, one column a model, "flagged / texts". */
export function renderLanguageFlags(title: string, f: LanguageFlags): string {
  const names = Object.keys(f.total.flagged);
  const cell = (k: number, n: number): string => `${k} / ${n}`;
  return [
    title,
    '',
    `| language | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---:').join('|')}|`,
    ...f.rows.map((r) => `| ${r.language} | ${names.map((m) => cell(r.flagged[m]!, r.n)).join(' | ')} |`),
    `| **all** | ${names.map((m) => `**${cell(f.total.flagged[m]!, f.total.n)}**`).join(' | ')} |`,
    '',
  ].join('\n');
}
