/**
 * Caps how many tokens the model may generate. A client's own limit is kept
 * when it is within the policy's ceiling and clamped when it is above; when
 * the client set none, the ceiling is set, so no request runs unbounded.
 *
 * Fields per endpoint:
 * - `chat.completions`: `max_completion_tokens` (current) and `max_tokens`
 *   (deprecated, still honoured by OpenAI and most compatible servers). Each
 *   present field is clamped; when neither is present, `max_completion_tokens`
 *   is set.
 * - `responses`: `max_output_tokens`.
 * - `moderations`: nothing to limit.
 *
 * Clamping is an ordinary policy action, so the decision is `allow`; the
 * change travels in `requestPatch` and is explained in `reasons`.
 */
import { z } from 'zod';
import { defineCheck, type Verdict } from '../pipeline/types.js';

const config = z.object({
  maxOutputTokens: z
    .number()
    .int()
    .min(16)
    .default(4096)
    .describe('Largest number of output tokens per request (at least 16, the Responses API minimum).'),
});

const FIELDS: Record<'chat.completions' | 'responses', readonly string[]> = {
  'chat.completions': ['max_completion_tokens', 'max_tokens'],
  responses: ['max_output_tokens'],
};

export default defineCheck({
  id: 'output-ceiling',
  stage: 'input',
  description: 'Clamps the requested output-token limit to the policy ceiling, and sets it when the client omitted it.',
  config,
  run(ctx, _input, cfg): Verdict {
    if (ctx.endpoint === 'moderations') return { decision: 'allow', reasons: [] };
    const ceiling = cfg.maxOutputTokens;
    const fields = FIELDS[ctx.endpoint];
    const requestPatch: Record<string, unknown> = {};
    const reasons: string[] = [];
    let present = 0;
    let effective = ceiling;

    for (const field of fields) {
      const value = ctx.request[field];
      if (value === undefined || value === null) continue;
      present++;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        // A non-numeric limit might be coerced by a lenient upstream into anything; replace it.
        requestPatch[field] = ceiling;
        reasons.push(`${field} was not a number; set to ${ceiling}`);
      } else if (value > ceiling) {
        requestPatch[field] = ceiling;
        reasons.push(`${field} clamped from ${value} to ${ceiling}`);
      } else {
        effective = Math.min(effective, value);
      }
    }
    if (present === 0) {
      const field = fields[0] as string;
      requestPatch[field] = ceiling;
      reasons.push(`${field} set to ${ceiling}`);
    }

    const verdict: Verdict = { decision: 'allow', reasons, scores: { max_output_tokens: effective } };
    if (reasons.length > 0) verdict.requestPatch = requestPatch;
    return verdict;
  },
});
