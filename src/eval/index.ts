/**
 * Evaluation of classifiers on labelled data: metrics, slices by source,
 * length and language, target checks, and Markdown/JSON reports.
 *
 * @example
 * import { evaluate, renderMarkdown } from './eval/index.js';
 * const report = evaluate({ jsonl: 'my-labelled.jsonl', models: ['injection'] });
 * process.stdout.write(renderMarkdown(report));
 */
export { evaluate, evalLabel, LENGTH_BUCKETS } from './evaluate.js';
export type { EvaluateOptions, EvaluationReport, ModelReport, LabelMetrics, SliceMetrics, ExtraSetMetrics } from './evaluate.js';
export { renderMarkdown, renderJson } from './report.js';
export { modelTargets, type HeldoutSets, type TargetResult } from './targets.js';
export { atThreshold, averagePrecision, bestFbetaThreshold, recallAtFpr, rocAuc, thresholdAtFpr, type AtThreshold } from './metrics.js';
