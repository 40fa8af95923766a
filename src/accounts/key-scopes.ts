/**
 * What a gateway key may do, stored as JSON on the key record (`scopes`):
 *
 * - `endpoints`: `chat.completions`, `responses`, `moderations`; absent = all
 * - `models`: model globs (`gpt-4o*`); absent = all
 * - `policies`: policies the key's requests may run under; absent = any
 * - `limits.requestsPerMinute`, `limits.tokensPerDay`: per-key rate limit and
 *   token budget, on top of each user's own limits
 * - `grants`: extra powers; `assert_user_level` lets the app state its users'
 *   verification level in `X-Safegate-User-Level`
 *
 * A key whose scopes do not parse is refused everything (fail closed).
 */
import { z } from 'zod';
import type { LevelLimits } from '../config/access-schema.js';
import { globToRegExp } from '../shared/glob.js';

export const KEY_ENDPOINTS = ['chat.completions', 'responses', 'moderations'] as const;
export const KEY_GRANTS = ['assert_user_level'] as const;
export type KeyGrant = (typeof KEY_GRANTS)[number];

export const keyScopesSchema = z
  .object({
    endpoints: z.array(z.enum(KEY_ENDPOINTS)).optional(),
    models: z.array(z.string().min(1)).optional(),
    policies: z.array(z.string().min(1)).optional(),
    limits: z
      .object({
        requestsPerMinute: z.number().int().positive().optional(),
        tokensPerDay: z.number().int().positive().optional(),
      })
      .optional(),
    grants: z.array(z.enum(KEY_GRANTS)).optional(),
  })
  // Other layers may store more on the key; unknown fields are kept and ignored here.
  .loose();

export type KeyScopes = z.output<typeof keyScopesSchema>;

export interface CompiledScopes {
  scopes: KeyScopes;
  models: RegExp[] | null;
}

const compiled = new WeakMap<object, CompiledScopes | null>();

/** Parses (once per scopes object) a key's scopes; null when they are invalid. */
export function compileKeyScopes(raw: Record<string, unknown>): CompiledScopes | null {
  const hit = compiled.get(raw);
  if (hit !== undefined) return hit;
  const parsed = keyScopesSchema.safeParse(raw);
  const result = parsed.success ? { scopes: parsed.data, models: parsed.data.models ? parsed.data.models.map(globToRegExp) : null } : null;
  compiled.set(raw, result);
  return result;
}

export function hasGrant(scopes: KeyScopes, grant: KeyGrant): boolean {
  return scopes.grants?.includes(grant) ?? false;
}

export interface ScopeRequest {
  endpoints?: string[];
  models?: string[];
  policies?: string[];
  requestsPerMinute?: number;
  tokensPerDay?: number;
  grants?: string[];
}

/** Builds and validates scopes from command-line style input; throws with a readable message. */
export function buildKeyScopes(input: ScopeRequest): KeyScopes {
  const raw: Record<string, unknown> = {};
  if (input.endpoints?.length) raw.endpoints = input.endpoints;
  if (input.models?.length) raw.models = input.models;
  if (input.policies?.length) raw.policies = input.policies;
  const limits: Record<string, number> = {};
  if (input.requestsPerMinute !== undefined) limits.requestsPerMinute = input.requestsPerMinute;
  if (input.tokensPerDay !== undefined) limits.tokensPerDay = input.tokensPerDay;
  if (Object.keys(limits).length) raw.limits = limits;
  if (input.grants?.length) raw.grants = input.grants;
  const parsed = keyScopesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'scopes'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

/**
 * Scopes for a key a signed-in user creates for themselves: never more than
 * their level allows. Rate and budget are capped at the level's; models are
 * the requested globs only if the level allows all models, else the level's
 * list; no grants (a user cannot vouch for their own level).
 */
export function selfServiceScopes(level: LevelLimits, requested: ScopeRequest = {}): KeyScopes {
  const allModels = level.models.includes('*');
  return buildKeyScopes({
    ...(requested.endpoints ? { endpoints: requested.endpoints } : {}),
    models: allModels && requested.models?.length ? requested.models : level.models,
    ...(requested.policies ? { policies: requested.policies } : {}),
    requestsPerMinute: Math.min(requested.requestsPerMinute ?? level.requestsPerMinute, level.requestsPerMinute),
    tokensPerDay: Math.min(requested.tokensPerDay ?? level.tokensPerDay, level.tokensPerDay),
  });
}
