/**
 * Refuses requests that are too large or ask for what the policy does not
 * offer: characters, tokens (counted with the o200k tokenizer used by GPT-4o
 * and later models), messages, the model, and `n` (choices per request).
 *
 * Token counting is the only costly part, so it is skipped when the input's
 * UTF-8 byte length is already within `maxTokens`: a byte-level BPE token
 * always covers at least one byte, so such an input cannot exceed the limit.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { z } from 'zod';
import { globToRegExp, matchesAnyGlob } from '../shared/glob.js';
import { defineCheck, type Verdict } from '../pipeline/types.js';

const config = z.object({
  maxChars: z.number().int().positive().default(100_000).describe('Characters (UTF-16 code units) across all texts of the request.'),
  maxTokens: z.number().int().positive().default(32_000).describe('o200k tokens across all texts of the request, message framing not included.'),
  maxMessages: z
    .number()
    .int()
    .positive()
    .default(200)
    .describe('Entries of `messages` (Chat Completions) or of `input` when it is a list (Responses).'),
  allowedModels: z.array(z.string().min(1)).default([]).describe('Exact model names or globs such as `gpt-4o*`; empty allows any model.'),
  maxN: z.number().int().positive().default(4).describe('Largest `n` (choices per request) a client may ask for.'),
});

type Config = z.output<typeof config>;

/** Special-token strings such as `<|endoftext|>` in user text count as ordinary text instead of throwing. */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const compiledModels = new WeakMap<readonly string[], RegExp[]>();

function modelGlobs(cfg: Config): RegExp[] {
  let globs = compiledModels.get(cfg.allowedModels);
  if (!globs) {
    globs = cfg.allowedModels.map(globToRegExp);
    compiledModels.set(cfg.allowedModels, globs);
  }
  return globs;
}

function messageCount(request: Readonly<Record<string, unknown>>, segments: number): number {
  if (Array.isArray(request.messages)) return request.messages.length;
  if (Array.isArray(request.input)) return request.input.length;
  return segments > 0 ? 1 : 0;
}

export default defineCheck({
  id: 'input-limits',
  stage: 'input',
  description: 'Blocks requests over the policy limits for characters, tokens, messages or n, and models outside the allow-list.',
  config,
  run(ctx, input, cfg): Verdict {
    const reasons: string[] = [];
    let chars = 0;
    let bytes = 0;
    for (const s of input.segments) {
      chars += s.text.length;
      bytes += Buffer.byteLength(s.text, 'utf8');
    }
    const messages = messageCount(ctx.request, input.segments.length);
    const scores: Record<string, number> = { chars, messages };

    if (chars > cfg.maxChars) reasons.push(`input has ${chars} characters; the policy allows ${cfg.maxChars}`);
    // Past maxChars the request is refused anyway; counting tokens of a huge input would only cost time.
    if (bytes > cfg.maxTokens && chars <= cfg.maxChars) {
      let tokens = 0;
      for (const s of input.segments) tokens += countTokens(s.text, AS_PLAIN_TEXT);
      scores.tokens = tokens;
      if (tokens > cfg.maxTokens) reasons.push(`input has ${tokens} tokens; the policy allows ${cfg.maxTokens}`);
    }
    if (messages > cfg.maxMessages) reasons.push(`request has ${messages} messages; the policy allows ${cfg.maxMessages}`);
    const n = ctx.request.n;
    if (typeof n === 'number' && n > cfg.maxN) reasons.push(`n is ${n}; the policy allows ${cfg.maxN}`);
    // The model name is client-supplied, so it is not repeated in the reason.
    if (cfg.allowedModels.length > 0 && !matchesAnyGlob(ctx.model, modelGlobs(cfg))) {
      reasons.push('the model is not in the policy allow-list');
    }

    return { decision: reasons.length > 0 ? 'block' : 'allow', reasons, scores };
  },
});
