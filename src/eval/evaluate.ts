/**
 * Evaluation of classifiers on labelled data (the ../shared/data format).
 *
 * Label semantics: a present key is 0 or 1; an absent key is unknown and the
 * record is left out of that label's metrics. A record with `benign = 1`
 * counts as a negative for every label it does not set. For the moderation
 * model, `any` is positive when any category is 1 and negative when the
 * record is benign or all categories are 0; its score is the largest
 * category score.
 *
 * @example
 * const report = await evaluate({ split: 'validation' });
 * console.log(renderMarkdown(report));
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadClassifier } from '../classifiers/registry.js';
import type { Classifier } from '../classifiers/model.js';
import { CLASSIFIER_NAMES, MODERATION_LABELS, type ClassifierName } from '../classifiers/labels.js';
import { packageRoot } from '../classifiers/paths.js';
import { assignSplits, loadDataDir, loadJsonl, type LabelledRecord, type Split } from '../classifiers/training/data.js';
import { atThreshold, averagePrecision, recallAtFpr, rocAuc, type AtThreshold } from './metrics.js';

export interface EvaluateOptions {
  /** Models to evaluate: names (loaded from `modelsDir`) or loaded classifiers. Default: all three. */
  models?: readonly ClassifierName[] | Partial<Record<ClassifierName, Classifier>>;
  modelsDir?: string;
  /** Folder of `<dataset>/data.jsonl` files. Default: `<package root>/../shared/data`. */
  dataDir?: string;
  /** Labelled JSONL file(s) to use instead of `dataDir`; every record is used (no split). */
  jsonl?: string | readonly string[];
  /** With `dataDir`: which split to score. Default `validation`; `all` scores every record. */
  split?: Split | 'all';
  /** Extra labelled JSONL files scored as their own section (e.g. the hand-written benign-but-scary set). */
  extraSets?: readonly string[];
  /** Thresholds for the threshold table. Default 0.1, 0.2, ..., 0.9. */
  thresholds?: readonly number[];
  /** Receives every model's scores of the evaluated records (for custom summaries). */
  onScores?: (model: ClassifierName, records: readonly LabelledRecord[], scores: readonly Record<string, number>[]) => void;
}

/** Metrics of one label over one subset of records. */
export interface SliceMetrics {
  slice: string;
  n: number;
  positives: number;
  negatives: number;
  auprc: number;
  auc: number;
  /** Records flagged at the default threshold(s). */
  flagged: number;
  /** At the model's default threshold(s) for this label. */
  precision: number;
  recall: number;
  fpr: number;
}

export interface LabelMetrics {
  label: string;
  n: number;
  positives: number;
  negatives: number;
  auc: number;
  auprc: number;
  recallAt1: number;
  thresholdAt1: number;
  recallAt5: number;
  thresholdAt5: number;
  /** NaN for `any` (each category uses its own threshold). */
  defaultThreshold: number;
  atDefault: AtThreshold;
  table: AtThreshold[];
  bySource: SliceMetrics[];
  byLength: SliceMetrics[];
  byLanguage: SliceMetrics[];
}

export interface ExtraSetMetrics {
  name: string;
  n: number;
  /** Per label: fraction of the set flagged at the default threshold (all records are negatives). */
  flagged: Record<string, number>;
  /** Per label: texts flagged, for error analysis. */
  examples: Record<string, string[]>;
}

export interface ModelReport {
  name: ClassifierName;
  labels: LabelMetrics[];
  extraSets: ExtraSetMetrics[];
}

export interface EvaluationReport {
  generatedAt: string;
  data: { source: string; split: string; records: number };
  models: ModelReport[];
}

export const LENGTH_BUCKETS: readonly { name: string; max: number }[] = [
  { name: '<100', max: 100 },
  { name: '100-500', max: 500 },
  { name: '500-2000', max: 2000 },
  { name: '>2000', max: Infinity },
];

const DEFAULT_THRESHOLDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Label of a record for one output label, or undefined when unknown. */
export function evalLabel(r: LabelledRecord, label: string): 0 | 1 | undefined {
  if (label === 'any') {
    const values = MODERATION_LABELS.map((l) => r.labels[l]);
    if (values.some((v) => v === 1)) return 1;
    if (r.labels.benign === 1 || values.every((v) => v === 0)) return 0;
    return undefined;
  }
  const v = r.labels[label as keyof typeof r.labels];
  if (v !== undefined) return v;
  return r.labels.benign === 1 ? 0 : undefined;
}

function lengthBucket(n: number): string {
  return LENGTH_BUCKETS.find((b) => n < b.max)!.name;
}

/** `d[i]` is 1 when record i is flagged at the default threshold(s). */
function sliceMetrics(slice: string, p: number[], d: number[], y: number[]): SliceMetrics {
  const at = atThreshold(d, y, 0.5);
  return {
    slice, n: y.length, positives: at.tp + at.fn, negatives: at.fp + at.tn,
    auprc: averagePrecision(p, y), auc: rocAuc(p, y), flagged: at.tp + at.fp,
    precision: at.precision, recall: at.recall, fpr: at.fpr,
  };
}

/** Metrics per key; sorted alphabetically, or in `order` when given. */
function slices(keys: string[], p: number[], d: number[], y: number[], order?: readonly string[]): SliceMetrics[] {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = groups.get(k) ?? [];
    g.push(i);
    groups.set(k, g);
  });
  return [...groups.entries()]
    .sort(([a], [b]) => (order !== undefined ? order.indexOf(a) - order.indexOf(b) : a.localeCompare(b)))
    .map(([k, ix]) => sliceMetrics(k, ix.map((i) => p[i]!), ix.map((i) => d[i]!), ix.map((i) => y[i]!)));
}

/**
 * Metrics of one output label. For `any`, the score is the largest category
 * score and a record is flagged when any category reaches its own threshold.
 */
function labelMetrics(
  label: string, model: Classifier, records: readonly LabelledRecord[], scores: readonly Record<string, number>[],
  thresholds: readonly number[], sliceKey: (r: LabelledRecord) => string,
): LabelMetrics | undefined {
  const p: number[] = [];
  const d: number[] = [];
  const y: number[] = [];
  const recs: LabelledRecord[] = [];
  const threshold = label === 'any' ? NaN : (model.thresholds[label] ?? 0.5);
  records.forEach((r, i) => {
    const v = evalLabel(r, label);
    if (v === undefined) return;
    const s = scores[i]!;
    if (label === 'any') {
      p.push(Math.max(...model.labels.map((l) => s[l] ?? 0)));
      d.push(model.flagged(s).length > 0 ? 1 : 0);
    } else {
      p.push(s[label] ?? 0);
      d.push((s[label] ?? 0) >= threshold ? 1 : 0);
    }
    y.push(v);
    recs.push(r);
  });
  if (y.length === 0) return undefined;
  const r1 = recallAtFpr(p, y, 0.01);
  const r5 = recallAtFpr(p, y, 0.05);
  const atDefault = { ...atThreshold(d, y, 0.5), threshold };
  const table = [...new Set([...thresholds, ...(Number.isNaN(threshold) ? [] : [threshold])])]
    .sort((a, b) => a - b)
    .map((t) => atThreshold(p, y, t));
  return {
    label, n: y.length, positives: atDefault.tp + atDefault.fn, negatives: atDefault.fp + atDefault.tn,
    auc: rocAuc(p, y), auprc: averagePrecision(p, y),
    recallAt1: r1.recall, thresholdAt1: r1.threshold, recallAt5: r5.recall, thresholdAt5: r5.threshold,
    defaultThreshold: threshold, atDefault, table,
    bySource: slices(recs.map(sliceKey), p, d, y),
    byLength: slices(recs.map((r) => lengthBucket(r.text.length)), p, d, y, LENGTH_BUCKETS.map((b) => b.name)),
    byLanguage: slices(recs.map((r) => (typeof r.meta.language === 'string' ? r.meta.language : '(unmarked)')), p, d, y),
  };
}

function extraSetMetrics(name: string, model: Classifier, records: readonly LabelledRecord[]): ExtraSetMetrics {
  const flagged: Record<string, number> = {};
  const examples: Record<string, string[]> = {};
  const scores = model.scoreBatch(records.map((r) => r.text));
  for (const label of model.labels) {
    const hits = records.filter((_, i) => (scores[i]![label] ?? 0) >= (model.thresholds[label] ?? 1));
    flagged[label] = records.length > 0 ? hits.length / records.length : 0;
    if (hits.length > 0) examples[label] = hits.map((r) => r.text);
  }
  return { name, n: records.length, flagged, examples };
}

function resolveModels(opts: EvaluateOptions): [ClassifierName, Classifier][] {
  const m = opts.models;
  if (m === undefined || Array.isArray(m)) {
    const names = (m as readonly ClassifierName[] | undefined) ?? CLASSIFIER_NAMES;
    return names.map((n) => [n, loadClassifier(n, opts.modelsDir)]);
  }
  return Object.entries(m as Partial<Record<ClassifierName, Classifier>>).map(([n, c]) => [n as ClassifierName, c!]);
}

/** Scores the chosen records with each model and computes the metrics. */
export function evaluate(opts: EvaluateOptions = {}): EvaluationReport {
  const thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS;
  let records: LabelledRecord[];
  let source: string;
  let split: string;
  let sliceKey: (r: LabelledRecord) => string;
  if (opts.jsonl !== undefined) {
    const files = typeof opts.jsonl === 'string' ? [opts.jsonl] : [...opts.jsonl];
    records = files.flatMap((f) => loadJsonl(resolve(f)));
    source = files.join(', ');
    split = 'all';
    sliceKey = (r) => r.source;
  } else {
    const dataDir = resolve(opts.dataDir ?? join(packageRoot(), '..', 'shared', 'data'));
    if (!existsSync(dataDir)) throw new Error(`data folder not found: ${dataDir}`);
    const all = loadDataDir(dataDir);
    split = opts.split ?? 'validation';
    const splits = assignSplits(all);
    records = split === 'all' ? all : all.filter((_, i) => splits[i] === split);
    source = dataDir;
    sliceKey = (r) => r.dataset;
  }
  const extraSets = (opts.extraSets ?? []).map((f) => ({ name: f.split(/[\\/]/).pop()!, records: loadJsonl(resolve(f)) }));
  const models: ModelReport[] = [];
  for (const [name, model] of resolveModels(opts)) {
    const texts = records.map((r) => r.text);
    const scores = model.scoreBatch(texts);
    opts.onScores?.(name, records, scores);
    const labels: LabelMetrics[] = [];
    const outLabels = name === 'moderation' ? ['any', ...model.labels] : [...model.labels];
    for (const label of outLabels) {
      const m = labelMetrics(label, model, records, scores, thresholds, sliceKey);
      if (m !== undefined) labels.push(m);
    }
    models.push({ name, labels, extraSets: extraSets.map((e) => extraSetMetrics(e.name, model, e.records)) });
  }
  return { generatedAt: new Date().toISOString(), data: { source, split, records: records.length }, models };
}
