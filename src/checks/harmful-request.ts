/**
 * Requests for meaningful help to cause serious harm (weapons, malware,
 * crimes against people, ...), judged on what the user asks: user and other
 * prompt segments, not the assistant's earlier turns, tool results or the
 * application's own instructions. Back-end chosen in policy (`local` by
 * default; `judge`, `onnx`, `cascade`).
 */
import { z } from 'zod';
import { defineCheck, type Verdict } from '../pipeline/types.js';
import { backendFields, refineBackend } from '../shared/classifier-backend-config.js';
import { classifyThen, deciders, findings, maxScores } from '../shared/classifier-findings.js';

const config = z
  .object({
    ...backendFields(['local', 'judge', 'onnx', 'cascade']),
    threshold: z.number().min(0).max(1).optional().describe('Score threshold 0..1 replacing the back-end\'s own decision.'),
    action: z.enum(['block', 'flag', 'review']).default('block').describe('Decision on a finding.'),
  })
  .strict()
  .superRefine(refineBackend);

const LABEL = 'harmful_request';

export default defineCheck({
  id: 'harmful-request',
  stage: 'input',
  description: 'Detects requests for help to cause serious harm in what the user asks.',
  config,
  run(ctx, input, cfg): Verdict | Promise<Verdict> {
    const hub = ctx.services.classifiers;
    if (!hub) throw new Error('the classifier service is not configured');
    const segments = input.segments.filter((s) => s.source === 'prompt' && s.role !== 'assistant');
    if (segments.length === 0) return { decision: 'allow', reasons: [] };
    return classifyThen(hub, { kind: 'harmful_request', choice: cfg, texts: segments.map((s) => s.text) }, ctx, (result): Verdict => {
      const hits = result.items.filter((item) => findings(item, (label) => (label === LABEL ? cfg.threshold : undefined)).includes(LABEL));
      const scores = maxScores(result.items, cfg.backend);
      if (hits.length === 0) return { decision: 'allow', reasons: [], scores };
      return { decision: cfg.action, reasons: [`harmful request (${deciders(hits)})`], scores };
    });
  },
});
