/**
 * Obfuscation robustness: the same validation texts, rewritten with each
 * obfuscation method (base64, hex, rot13, leetspeak, spacing, homoglyphs, ...),
 * scored at the model's default threshold. Positives show whether an encoded
 * attack is still caught; benign texts show whether an encoding alone causes
 * a false alarm.
 */
import type { Classifier } from '../classifiers/model.js';
import type { LabelledRecord } from '../classifiers/training/data.js';
import { AUGMENT_METHODS, augmentText, Rng, type AugmentMethod } from '../classifiers/training/augment.js';
import { evalLabel } from './evaluate.js';

export interface RobustnessRow {
  method: AugmentMethod | 'none';
  /** Share of positives flagged (recall) after the rewrite. */
  recall: number;
  /** Share of benign texts flagged after the rewrite. */
  fpr: number;
}

export interface RobustnessReport {
  label: string;
  positives: number;
  negatives: number;
  rows: RobustnessRow[];
}

/** Every `step`-th record, so the sample is spread over all sources and deterministic. */
function spread<T>(xs: readonly T[], max: number): T[] {
  const step = Math.max(1, Math.floor(xs.length / max));
  return xs.filter((_, i) => i % step === 0).slice(0, max);
}

/**
 * Scores up to `sample` positives and `sample` benign negatives of `label`
 * under each method. Texts are rewritten whole when short and in one span
 * when long, exactly as in training augmentation (but with a different seed).
 */
export function robustness(model: Classifier, label: string, records: readonly LabelledRecord[], sample = 300): RobustnessReport {
  const pos = spread(records.filter((r) => evalLabel(r, label) === 1), sample);
  const neg = spread(records.filter((r) => evalLabel(r, label) === 0 && r.labels.benign === 1), sample);
  const threshold = model.thresholds[label] ?? 0.5;
  const rate = (texts: string[]): number =>
    texts.length === 0 ? NaN : texts.filter((t) => (model.score(t)[label] ?? 0) >= threshold).length / texts.length;
  const rows: RobustnessRow[] = [{ method: 'none', recall: rate(pos.map((r) => r.text)), fpr: rate(neg.map((r) => r.text)) }];
  for (const method of AUGMENT_METHODS) {
    const rng = new Rng(0x5eed);
    rows.push({
      method,
      recall: rate(pos.map((r) => augmentText(r.text, method, rng))),
      fpr: rate(neg.map((r) => augmentText(r.text, method, rng))),
    });
  }
  return { label, positives: pos.length, negatives: neg.length, rows };
}

/** Markdown table of one robustness report. */
export function renderRobustness(model: string, r: RobustnessReport): string {
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
  return [
    `### ${model}: obfuscated copies of validation texts (default threshold)`,
    '',
    `${r.positives} positives and ${r.negatives} benign texts, each rewritten with one method (long texts: one span of up to 400 characters).`,
    '',
    '| method | recall on positives | flagged benign |',
    '|---|---:|---:|',
    ...r.rows.map((row) => `| ${row.method} | ${pct(row.recall)} | ${pct(row.fpr)} |`),
    '',
  ].join('\n');
}
