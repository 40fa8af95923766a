/**
 * Request validation for the OpenAI-compatible endpoints. Only the fields the
 * gateway relies on are checked; every other field passes through untouched
 * (loose objects), as the provider defines them.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.js';

const part = z.looseObject({ type: z.string() });
const content = z.union([z.string(), z.array(part), z.null()]);
const tokens = z.number().int().positive().nullable().optional();
const userField = z.string().max(512).nullable().optional();

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
        content: content.optional(),
      }),
    )
    .min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  max_tokens: tokens,
  max_completion_tokens: tokens,
  safety_identifier: userField,
  user: userField,
});

export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  input: z.union([z.string(), z.array(z.looseObject({}))]).optional(),
  instructions: z.string().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  max_output_tokens: z.number().int().min(16).nullable().optional(),
  safety_identifier: userField,
  user: userField,
});

export const moderationRequestSchema = z.looseObject({
  model: z.string().min(1).max(256).optional(),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.union([z.looseObject({ type: z.literal('text'), text: z.string() }), z.looseObject({ type: z.literal('image_url'), image_url: z.looseObject({ url: z.string() }) })])).min(1),
  ]),
});

function paramOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Parses `body` or throws a 400 naming the first offending parameter. */
export function validate<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = paramOf(issue.path);
  let message: string;
  if (issue.code === 'invalid_type' && issue.input === undefined) message = `Missing required parameter: '${param}'.`;
  else if (issue.code === 'invalid_type') message = `Invalid type for '${param}': expected ${issue.expected}.`;
  else if (issue.code === 'invalid_value') message = `Invalid value for '${param}': expected one of ${issue.values.map((v) => `'${String(v)}'`).join(', ')}.`;
  else message = `Invalid value for '${param || 'body'}': ${issue.message}.`;
  throw new GatewayError('INVALID_REQUEST', { message, param: param || null });
}
