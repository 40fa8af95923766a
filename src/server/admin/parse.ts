/** Request parsing for the admin API: JSON bodies and queries validated by zod, errors in OpenAI's shape. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.js';

/** Parses `input` or throws a 400 naming the first offending field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.join('.') || null;
  throw new GatewayError('INVALID_REQUEST', { message: `${param ?? 'request'}: ${issue.message}`, param });
}

export async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new GatewayError('INVALID_JSON');
  }
}
