/**
 * Prompt injection and jailbreak detection on input, with a back-end chosen
 * in policy (`local` by default; `judge`, `onnx`, `cascade`).
 *
 * Sources are weighed apart: user prompts (`prompt`) are direct injection;
 * tool results, function outputs and retrieved documents (`tool`) are
 * third-party text that should never address the model, so a finding there
 * is reported as indirect injection and may use its own, lower threshold
 * (`toolThreshold`). System and developer messages (`instructions`) are
 * written by the application and are not scanned unless listed: instructions
 * legitimately say "ignore", "you are" and "never reveal", and blocking an
 * application's own system prompt would block all of its traffic.
 */
import { z } from 'zod';
import { defineCheck, type ClassifiedItem, type Verdict } from '../pipeline/types.js';
import { backendFields, refineBackend } from '../shared/classifier-backend-config.js';
import { classifyThen, deciders, findings, maxScores } from '../shared/classifier-findings.js';

const config = z
  .object({
    ...backendFields(['local', 'judge', 'onnx', 'cascade']),
    sources: z.array(z.enum(['prompt', 'tool', 'instructions'])).min(1).default(['prompt', 'tool']).describe('Segments to scan; `instructions` (system and developer messages) is off by default.'),
    threshold: z.number().min(0).max(1).optional().describe('Score threshold 0..1 replacing the back-end\'s own decision.'),
    toolThreshold: z.number().min(0).max(1).optional().describe('Threshold for tool results and documents (indirect injection); default `threshold`.'),
    action: z.enum(['block', 'flag', 'review']).default('block').describe('Decision on a finding.'),
  })
  .strict()
  .superRefine(refineBackend);

const LABEL = 'injection';

export default defineCheck({
  id: 'injection',
  stage: 'input',
  description: 'Detects prompt injection and jailbreaks in prompts, and indirect injection in tool results and documents.',
  config,
  run(ctx, input, cfg): Verdict | Promise<Verdict> {
    const hub = ctx.services.classifiers;
    if (!hub) throw new Error('the classifier service is not configured');
    const segments = input.segments.filter((s) => cfg.sources.includes(s.source as 'prompt'));
    if (segments.length === 0) return { decision: 'allow', reasons: [] };
    return classifyThen(hub, { kind: 'injection', choice: cfg, texts: segments.map((s) => s.text) }, ctx, (result): Verdict => {
      const direct: ClassifiedItem[] = [];
      const indirect: ClassifiedItem[] = [];
      result.items.forEach((item, i) => {
        const tool = segments[i]!.source === 'tool';
        const t = tool ? (cfg.toolThreshold ?? cfg.threshold) : cfg.threshold;
        if (findings(item, (label) => (label === LABEL ? t : undefined)).includes(LABEL)) (tool ? indirect : direct).push(item);
      });
      const scores = maxScores(result.items, cfg.backend);
      if (direct.length === 0 && indirect.length === 0) return { decision: 'allow', reasons: [], scores };
      const reasons: string[] = [];
      if (direct.length > 0) reasons.push(`prompt injection (${deciders(direct)})`);
      if (indirect.length > 0) reasons.push(`indirect prompt injection in tool or document content (${deciders(indirect)})`);
      return { decision: cfg.action, reasons, scores };
    });
  },
});
