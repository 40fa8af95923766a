/**
 * `safegate eval --in labelled.jsonl [--models injection,moderation,harmful_request] [--out report.json] [--markdown report.md]`
 *
 * Scores labelled JSONL (the ../shared/data format: `{"id","text","labels":{...}}`)
 * with the offline classifiers and reports metrics per label, sliced by
 * source, length and language (see `src/eval/`). Prints a summary table;
 * writes the full report as JSON and/or Markdown when asked.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CLASSIFIER_NAMES, type ClassifierName } from '../../classifiers/labels.js';
import { evaluate, type EvaluationReport } from '../../eval/evaluate.js';
import { renderJson, renderMarkdown } from '../../eval/report.js';
import type { Split } from '../../classifiers/training/data.js';

interface EvalOptions {
  in?: string[];
  data?: string;
  split: string;
  models: string;
  modelsDir?: string;
  out?: string;
  markdown?: string;
}

const SPLITS = ['validation', 'train', 'calibration', 'all'];
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

/** One line per model and label: the numbers a reader checks first. */
export function summaryTable(report: EvaluationReport): string {
  const rows = [['model', 'label', 'pos', 'neg', 'AUC', 'AUPRC', 'precision', 'recall', 'FPR']];
  for (const m of report.models) {
    for (const l of m.labels) {
      rows.push([m.name, l.label, String(l.positives), String(l.negatives), num(l.auc), num(l.auprc), pct(l.atDefault.precision), pct(l.atDefault.recall), pct(l.atDefault.fpr)]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('Evaluate the offline classifiers on labelled JSONL (precision, recall, FPR, AUC per label, sliced by source, length and language)')
    .option('--in <files...>', 'labelled JSONL file(s); every record is scored')
    .option('--data <dir>', 'a folder of <dataset>/data.jsonl files instead of --in')
    .option('--split <name>', 'with --data: validation, train, calibration or all', 'validation')
    .option('--models <list>', `comma-separated models: ${CLASSIFIER_NAMES.join(', ')}`, CLASSIFIER_NAMES.join(','))
    .option('--models-dir <dir>', 'folder of the model files (default: the shipped models)')
    .option('--out <file>', 'write the full report as JSON')
    .option('--markdown <file>', 'write the full report as Markdown')
    .action((opts: EvalOptions) => {
      const models = opts.models.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = models.filter((m) => !(CLASSIFIER_NAMES as readonly string[]).includes(m));
      const problem =
        unknown.length > 0 ? `unknown model(s): ${unknown.join(', ')} (known: ${CLASSIFIER_NAMES.join(', ')})`
        : !opts.in && !opts.data ? 'give --in <labelled.jsonl> or --data <dir>'
        : !SPLITS.includes(opts.split) ? `unknown split ${opts.split} (known: ${SPLITS.join(', ')})`
        : null;
      if (problem) {
        process.stderr.write(`safegate eval: ${problem}\n`);
        process.exitCode = 2;
        return;
      }
      let report: EvaluationReport;
      try {
        report = evaluate({
          ...(opts.in ? { jsonl: opts.in.map((f) => resolve(f)) } : { dataDir: resolve(opts.data!), split: opts.split as Split | 'all' }),
          models: models as ClassifierName[],
          ...(opts.modelsDir ? { modelsDir: resolve(opts.modelsDir) } : {}),
        });
      } catch (err) {
        process.stderr.write(`safegate eval: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      if (opts.out) writeFileSync(resolve(opts.out), renderJson(report));
      if (opts.markdown) writeFileSync(resolve(opts.markdown), renderMarkdown(report));
      process.stdout.write(`${report.data.records} records from ${report.data.source}\n${summaryTable(report)}\n`);
    });
}
