/**
 * Content moderation over OpenAI's 13 categories, on input and output, with a
 * back-end chosen in policy:
 *
 * - `local` (default): Safegate's offline moderation model, in-process;
 * - `provider`: the Moderation API (`omni-moderation-latest`) through the
 *   configured upstream; the request's images go as multimodal input, the
 *   texts of one request in one call, results cached by text hash;
 * - `judge`: an LLM judge with a written policy on an OpenAI-compatible endpoint;
 * - `onnx`: a local ONNX text classifier;
 * - `cascade`: the local model first, the judge for the uncertain band;
 * - `inline`: OpenAI's `moderation` request field (scores arrive with the
 *   answer; judged at the output stage, with a Moderation API call where the
 *   answer carries none).
 *
 * Decision: a category counts when a threshold in `thresholds` is reached,
 * otherwise when the back-end flags it (its own thresholds; the API's
 * `flagged`). `categories` restricts which categories can act. Scores of every
 * category go to the audit record.
 */
import { z } from 'zod';
import { defineCheck, type ClassifiedItem, type Verdict } from '../pipeline/types.js';
import { backendFields, refineBackend } from '../shared/classifier-backend-config.js';
import { classifyThen, deciders, findings, maxScores } from '../shared/classifier-findings.js';

const config = z
  .object({
    ...backendFields(['local', 'provider', 'judge', 'onnx', 'cascade', 'inline']),
    categories: z.array(z.string().min(1)).min(1).optional().describe('Only these categories can trigger the action; absent means all.'),
    thresholds: z.record(z.string(), z.number().min(0).max(1)).default({}).describe('Per-category score thresholds 0..1, replacing the back-end\'s own decision for those categories.'),
    sources: z.array(z.enum(['prompt', 'tool', 'instructions'])).min(1).default(['prompt', 'tool', 'instructions']).describe('Input segments to judge (output is always judged).'),
    action: z.enum(['block', 'flag', 'review']).default('block').describe('Decision when a category counts.'),
  })
  .strict()
  .superRefine(refineBackend);

export default defineCheck({
  id: 'moderation',
  stage: 'both',
  description: 'Moderates inputs and outputs over the 13 OpenAI categories with the offline model, the provider Moderation API, an LLM judge, an ONNX model or a cascade.',
  config,
  run(ctx, input, cfg): Verdict | Promise<Verdict> {
    const hub = ctx.services.classifiers;
    if (!hub) throw new Error('the classifier service is not configured');
    const segments = ctx.stage === 'input' ? input.segments.filter((s) => cfg.sources.includes(s.source as 'prompt')) : input.segments;
    const images = ctx.stage === 'input' ? input.images : [];
    return classifyThen(hub, { kind: 'moderation', choice: cfg, texts: segments.map((s) => s.text), images }, ctx, (result): Verdict => {
      const all: ClassifiedItem[] = [...result.items, ...result.extra];
      const threshold = (label: string) => cfg.thresholds[label];
      const hits = new Set<string>();
      const deciding: ClassifiedItem[] = [];
      for (const item of all) {
        const found = findings(item, threshold).filter((c) => !cfg.categories || cfg.categories.includes(c));
        if (found.length === 0) continue;
        deciding.push(item);
        for (const c of found) hits.add(c);
      }
      const scores = maxScores(all, cfg.backend);
      const verdict: Verdict =
        hits.size === 0
          ? { decision: 'allow', reasons: [], scores }
          : { decision: cfg.action, reasons: [`moderation: ${[...hits].sort().join(', ')} (${deciders(deciding)})`], scores };
      if (result.requestPatch) verdict.requestPatch = result.requestPatch;
      return verdict;
    });
  },
});
