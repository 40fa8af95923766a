/**
 * Turns classifier back-end results into findings, the same way for every
 * classifier check: a label counts when a threshold the policy sets for it is
 * reached, and otherwise when the back-end itself flags it (its calibrated
 * thresholds, or the Moderation API's own `categories`).
 */
import type { CheckContext, ClassifiedItem, ClassifierBackends, ClassifyRequest, ClassifyResult } from '../pipeline/types.js';

/**
 * Labels of `item` that count. `threshold(label)` returns the policy's
 * threshold for a label, or undefined to keep the back-end's decision.
 */
export function findings(item: ClassifiedItem, threshold: (label: string) => number | undefined): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const [label, score] of Object.entries(item.scores)) {
    const t = threshold(label);
    if (t !== undefined) {
      seen.add(label);
      if (score >= t) out.push(label);
    }
  }
  for (const label of item.flagged) if (!seen.has(label) && !out.includes(label)) out.push(label);
  return out;
}

/**
 * Largest score per label over `items`, for the audit record; with the
 * `cascade` back-end also `judged`, how many items the judge scored.
 */
export function maxScores(items: readonly ClassifiedItem[], backend?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) {
    for (const [k, v] of Object.entries(it.scores)) if (!(k in out) || v > out[k]!) out[k] = v;
  }
  if (backend === 'cascade') out.judged = items.filter((i) => i.by.includes('judge')).length;
  return out;
}

/** Which back-ends decided the items that produced findings, e.g. `judge` or `local+judge`. */
export function deciders(items: readonly ClassifiedItem[]): string {
  const by = new Set<string>();
  for (const it of items) for (const b of it.by.split('+')) by.add(b);
  return [...by].join('+');
}

/**
 * Classifies without a promise when the back-end scores in process, else
 * through the promise, and hands the result to `decide`.
 */
export function classifyThen<T>(hub: ClassifierBackends, request: ClassifyRequest, ctx: CheckContext, decide: (result: ClassifyResult) => T): T | Promise<T> {
  const sync = hub.classifySync?.(request, ctx);
  return sync ? decide(sync) : hub.classify(request, ctx).then(decide);
}
