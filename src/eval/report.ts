/**
 * Renders an `EvaluationReport` as Markdown (for people) and JSON (for tools).
 */
import type { AtThreshold } from './metrics.js';
import type { EvaluationReport, LabelMetrics, ModelReport, SliceMetrics } from './evaluate.js';

function f(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–';
}

function table(head: string[], rows: string[][]): string {
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function summaryRow(m: LabelMetrics): string[] {
  const d = m.atDefault;
  return [
    `\`${m.label}\``, String(m.n), String(m.positives), String(m.negatives), f(m.auc), f(m.auprc),
    pct(m.recallAt1), pct(m.recallAt5), Number.isNaN(m.defaultThreshold) ? 'per category' : f(m.defaultThreshold, 3),
    f(d.precision), pct(d.recall), f(d.f1), pct(d.fpr),
  ];
}

function thresholdRows(rows: AtThreshold[], chosen: number): string[][] {
  return rows.map((t) => [
    t.threshold === chosen ? `**${f(t.threshold, 3)}** (default)` : f(t.threshold, 3),
    f(t.precision), pct(t.recall), f(t.f1), pct(t.fpr), String(t.tp), String(t.fp), String(t.fn),
  ]);
}

function sliceRows(slices: SliceMetrics[]): string[][] {
  return slices.map((s) => [
    s.slice, String(s.n), String(s.positives), String(s.negatives), s.negatives > 0 ? f(s.auprc) : '–',
    s.flagged > 0 ? f(s.precision) : '–', s.positives > 0 ? pct(s.recall) : '–', s.negatives > 0 ? pct(s.fpr) : '–',
  ]);
}

const SLICE_HEAD = ['slice', 'n', 'pos', 'neg', 'AUPRC', 'precision', 'recall', 'FPR'];

function labelSection(m: LabelMetrics): string {
  const parts = [
    `### \`${m.label}\``,
    '',
    'Threshold table (flagged when score ≥ threshold):',
    '',
    table(['threshold', 'precision', 'recall', 'F1', 'FPR', 'TP', 'FP', 'FN'], thresholdRows(m.table, m.defaultThreshold)),
    '',
    `Operating points: recall ${pct(m.recallAt1)} at 1% FPR (threshold ${f(m.thresholdAt1, 4)}), ` +
      `${pct(m.recallAt5)} at 5% FPR (threshold ${f(m.thresholdAt5, 4)}).`,
    '',
    'By source dataset (precision, recall and FPR at the default threshold):',
    '',
    table(SLICE_HEAD, sliceRows(m.bySource)),
    '',
    'By text length (characters):',
    '',
    table(SLICE_HEAD, sliceRows(m.byLength)),
  ];
  if (m.byLanguage.some((s) => s.slice !== '(unmarked)')) {
    parts.push('', 'By language (`meta.language`):', '', table(SLICE_HEAD, sliceRows(m.byLanguage)));
  }
  return parts.join('\n');
}

function modelSection(r: ModelReport): string {
  const head = ['label', 'n', 'pos', 'neg', 'AUC', 'AUPRC', 'R@1%FPR', 'R@5%FPR', 'threshold', 'precision', 'recall', 'F1', 'FPR'];
  const parts = [`## ${r.name}`, '', table(head, r.labels.map(summaryRow))];
  for (const e of r.extraSets) {
    const labels = Object.keys(e.flagged);
    parts.push('', `Flag rate on \`${e.name}\` (${e.n} benign texts, default thresholds):`, '',
      table(['label', 'flagged'], labels.map((l) => [`\`${l}\``, pct(e.flagged[l]!)])));
  }
  parts.push('', ...r.labels.filter((m) => m.positives > 0 && m.negatives > 0).map(labelSection));
  return parts.join('\n');
}

/** Markdown report: a summary table per model, then per-label detail. */
export function renderMarkdown(report: EvaluationReport, preamble = ''): string {
  return [
    '# Classifier evaluation',
    '',
    `Data: \`${report.data.source}\`, split \`${report.data.split}\`, ${report.data.records} records. ` +
      `Generated ${report.generatedAt.slice(0, 10)}.`,
    '',
    'Columns: AUC and AUPRC over all scores; R@1%FPR / R@5%FPR is the recall at the threshold where at most 1% / 5% ' +
      'of the negatives are flagged; precision, recall, F1 and FPR are at the model\'s default threshold. An absent ' +
      'label is unknown and the record is left out; `benign = 1` counts as a negative for every label.',
    preamble,
    ...report.models.map(modelSection),
    '',
  ].join('\n');
}

/** JSON report (numbers as computed; NaN and infinities become null). */
export function renderJson(report: EvaluationReport): string {
  return JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
