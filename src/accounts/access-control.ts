/**
 * Safegate's `AccessControl`: decides before any check runs whether a request
 * may proceed, and learns from each finished request.
 *
 * `admit`, in order (the first refusal wins):
 * 1. key scopes: endpoint, model, policy (403 permission_denied)
 * 2. the end user's standing: suspended or under review → 403 user_suspended
 *    with the appeal text
 * 3. the user's verification level (see `LevelSource`), and its allowed
 *    models (400 model_not_allowed) and features (403)
 * 4. token budgets per UTC day, of the key and of the user (429 quota_exceeded)
 * 5. request rates, of the key and of the user (429 rate_limit_exceeded, with
 *    retry-after and x-ratelimit-* headers); a throttled user gets a fraction
 *    of their level's rate
 * 6. the level's output-token ceiling clamps the request
 *
 * `settle` adds the request's tokens to the daily counters, strikes for
 * blocked and flagged requests, and never throws. Budgets are checked before
 * a request and charged after it, so the last request of a day may overshoot
 * by its own size.
 *
 * Key expiry and revocation are enforced earlier, by authentication.
 */
import type { Logger } from 'pino';
import { isVerificationLevel, VERIFICATION_LEVELS, type LevelLimits, type VerificationLevel } from '../config/access-schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AccessControl, Admission, AdmitRequest } from '../services/access.js';
import { globToRegExp, matchesAnyGlob } from '../shared/glob.js';
import type { AuditRecord } from '../storage/types.js';
import { AbuseTracker } from './abuse.js';
import type { Identities } from './identities.js';
import { compileKeyScopes, hasGrant } from './key-scopes.js';
import type { LimitStore, TakeResult } from './limits/types.js';
import { windowResetMs } from './limits/types.js';

const DAY_MS = 86_400_000;

/**
 * Where a named user's verification level comes from when the app does not
 * (or may not) assert it: the account store, when the user has an account.
 */
export interface LevelSource {
  /**
   * The level of the user the app names `userId` (the raw id it passed), or
   * null when there is no account for them (they count as `registered`).
   * May throw; the user is then treated as `registered`.
   */
  levelOf(userId: string): Promise<string | null>;
}

export interface SafegateAccessOptions {
  limits: LimitStore;
  abuse: AbuseTracker;
  levels: Record<VerificationLevel, LevelLimits>;
  /** appended to the suspension message */
  appeal: string;
  /** the policy used by keys that name none (for `policies` scopes) */
  defaultPolicy: string;
  identities?: Identities;
  levelSource?: LevelSource;
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
}

interface CompiledLevel {
  limits: LevelLimits;
  models: RegExp[];
  allFeatures: boolean;
}

export class SafegateAccess implements AccessControl {
  readonly #o: SafegateAccessOptions;
  readonly #now: () => number;
  readonly #levels: Record<VerificationLevel, CompiledLevel>;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: SafegateAccessOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#levels = Object.fromEntries(
      VERIFICATION_LEVELS.map((level) => {
        const limits = options.levels[level];
        return [level, { limits, models: limits.models.map(globToRegExp), allFeatures: limits.features.includes('*') }];
      }),
    ) as Record<VerificationLevel, CompiledLevel>;
  }

  async admit(req: AdmitRequest): Promise<Admission> {
    const now = this.#now();
    const compiled = req.key ? compileKeyScopes(req.key.scopes) : { scopes: {}, models: null };
    if (!compiled) throw new GatewayError('PERMISSION_DENIED', { message: 'This key\'s scopes are not valid; an administrator must replace the key.' });
    const { scopes } = compiled;
    if (scopes.endpoints && !scopes.endpoints.includes(req.endpoint)) {
      throw new GatewayError('PERMISSION_DENIED', { message: `This key may not use the ${req.endpoint} endpoint.` });
    }
    // Model allow-lists name generation models; moderation models are not subject to them.
    const generation = req.endpoint !== 'moderations';
    if (generation && compiled.models && !matchesAnyGlob(req.model, compiled.models)) {
      throw new GatewayError('PERMISSION_DENIED', { message: 'This key may not use this model.', param: 'model' });
    }

    const standing = await this.#guard(() => this.#o.abuse.standing(req.safetyId));
    if (AbuseTracker.refuses(standing.state)) {
      const why = standing.state === 'review' ? 'This user is suspended and under review by an administrator.' : 'This user is suspended after repeated policy violations.';
      throw new GatewayError('USER_SUSPENDED', { message: `${why} ${this.#o.appeal}` });
    }

    const level = await this.#level(req, hasGrant(scopes, 'assert_user_level'));
    const { limits, models, allFeatures } = this.#levels[level];
    if (generation && !matchesAnyGlob(req.model, models)) {
      throw new GatewayError('MODEL_NOT_ALLOWED', { message: `This model is not available at the ${level} verification level.`, param: 'model' });
    }
    if (!allFeatures) {
      for (const feature of usedFeatures(req.body)) {
        if (!(limits.features as readonly string[]).includes(feature)) {
          throw new GatewayError('PERMISSION_DENIED', { message: `The ${feature} feature is not available at the ${level} verification level.` });
        }
      }
    }
    const policy = limits.policy ?? req.key?.policy ?? this.#o.defaultPolicy;
    if (scopes.policies && !scopes.policies.includes(policy)) {
      throw new GatewayError('PERMISSION_DENIED', { message: `This key may not use the ${policy} policy.` });
    }

    const keyId = req.key?.id;
    const keyBudget = scopes.limits?.tokensPerDay;
    const [keyUsed, userUsed] = await this.#guard(() =>
      Promise.all([keyId && keyBudget ? this.#o.limits.usage(`k:${keyId}`, DAY_MS, now) : 0, this.#o.limits.usage(`u:${req.safetyId}`, DAY_MS, now)]),
    );
    const tokenHeaders = {
      'x-ratelimit-limit-tokens': String(limits.tokensPerDay),
      'x-ratelimit-remaining-tokens': String(Math.max(0, limits.tokensPerDay - userUsed)),
      'x-ratelimit-reset-tokens': seconds(windowResetMs(DAY_MS, now)),
    };
    if (keyBudget && keyUsed >= keyBudget) throw quota('This key\'s daily token budget is used up.', now, tokenHeaders);
    if (userUsed >= limits.tokensPerDay) throw quota(`This user's daily token quota (${level} level) is used up.`, now, tokenHeaders);

    const keyRpm = scopes.limits?.requestsPerMinute;
    if (keyId && keyRpm) {
      const taken = await this.#guard(() => this.#o.limits.take(`k:${keyId}`, perMinute(keyRpm), now));
      if (!taken.allowed) throw rateLimited('This key\'s request rate limit is reached.', keyRpm, taken, tokenHeaders);
    }
    const throttled = standing.state === 'throttled';
    const userRpm = throttled ? Math.max(1, Math.floor(limits.requestsPerMinute * this.#o.abuse.policy.throttleFactor)) : limits.requestsPerMinute;
    const taken = await this.#guard(() => this.#o.limits.take(`u:${req.safetyId}`, perMinute(userRpm), now));
    const requestHeaders = rateHeaders(userRpm, taken);
    if (!taken.allowed) {
      throw rateLimited(throttled ? 'This user is throttled after policy violations; the request rate is reduced.' : 'This user\'s request rate limit is reached.', userRpm, taken, tokenHeaders);
    }

    clampOutputTokens(req.endpoint, req.body, limits.maxOutputTokens);
    if (req.rawUserId !== null && this.#o.identities) {
      this.#track(this.#o.identities.remember({ safetyId: req.safetyId, rawUserId: req.rawUserId, source: req.userSource, keyId: keyId ?? null }));
    }
    return {
      headers: { ...requestHeaders, ...tokenHeaders, 'x-safegate-user-level': level, ...(throttled ? { 'x-safegate-user-state': 'throttled' } : {}) },
      ...(limits.policy ? { policy: limits.policy } : {}),
    };
  }

  settle(record: AuditRecord): void {
    const safetyId = record.safetyId;
    if (!safetyId) return;
    const now = this.#now();
    const tokens = (record.promptTokens ?? 0) + (record.completionTokens ?? 0);
    if (tokens > 0) {
      this.#track(this.#o.limits.addUsage(`u:${safetyId}`, tokens, DAY_MS, now));
      if (record.keyId) this.#track(this.#o.limits.addUsage(`k:${record.keyId}`, tokens, DAY_MS, now));
    }
    const outcome = record.errorCode === 'user_suspended' ? 'refused' : record.outcome;
    this.#track(this.#o.abuse.strike(safetyId, outcome));
  }

  /** Resolves when every settle and identity write started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #level(req: AdmitRequest, mayAssert: boolean): Promise<VerificationLevel> {
    if (req.userSource === 'anonymous' || req.rawUserId === null) return 'anonymous';
    if (mayAssert && req.claimedLevel !== null) {
      const claimed = req.claimedLevel.trim();
      if (!isVerificationLevel(claimed)) {
        throw new GatewayError('INVALID_REQUEST', { message: `X-Safegate-User-Level must be one of: ${VERIFICATION_LEVELS.join(', ')}.` });
      }
      return claimed;
    }
    if (!this.#o.levelSource) return 'registered';
    try {
      const level = await this.#o.levelSource.levelOf(req.rawUserId);
      return isVerificationLevel(level) ? level : 'registered';
    } catch (err) {
      // The least a named user can be: no privileges are granted on an error.
      this.#o.logger?.warn({ err: (err as Error)?.message }, 'looking up a user\'s verification level failed; using registered');
      return 'registered';
    }
  }

  /** Limit-store or state-store failures refuse the request (503) instead of admitting it unlimited. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw new GatewayError('ACCESS_UNAVAILABLE', { cause: err });
    }
  }

  #track(promise: Promise<unknown>): void {
    const p = promise.catch((err: unknown) => {
      this.#o.logger?.warn({ err: (err as Error)?.message }, 'recording usage or strikes failed');
    });
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }
}

function perMinute(rpm: number) {
  return { capacity: rpm, refillPerSec: rpm / 60 };
}

/** Reset times as seconds with a unit, e.g. `1.5s`, as OpenAI's x-ratelimit-reset-* headers carry them. */
function seconds(ms: number): string {
  return `${Math.max(0, Math.ceil(ms / 100) / 10)}s`;
}

function rateHeaders(limit: number, taken: TakeResult): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(limit),
    'x-ratelimit-remaining-requests': String(taken.remaining),
    'x-ratelimit-reset-requests': seconds(taken.resetMs),
  };
}

function rateLimited(message: string, limit: number, taken: TakeResult, tokenHeaders: Record<string, string>): GatewayError {
  const wait = Number.isFinite(taken.retryAfterMs) ? taken.retryAfterMs : 60_000;
  return new GatewayError('RATE_LIMITED', {
    message,
    headers: { ...rateHeaders(limit, taken), ...tokenHeaders, 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))), 'retry-after-ms': String(wait) },
  });
}

function quota(message: string, now: number, tokenHeaders: Record<string, string>): GatewayError {
  const wait = windowResetMs(DAY_MS, now);
  return new GatewayError('QUOTA_EXCEEDED', { message: `${message} It resets at 00:00 UTC.`, headers: { ...tokenHeaders, 'retry-after': String(Math.ceil(wait / 1000)) } });
}

const OUTPUT_FIELDS = { 'chat.completions': ['max_completion_tokens', 'max_tokens'], responses: ['max_output_tokens'], moderations: [] } as const;

/** Lowers any output-token limit above `max` to it, and sets it when the request has none. */
export function clampOutputTokens(endpoint: AdmitRequest['endpoint'], body: Record<string, unknown>, max: number): void {
  const fields: readonly string[] = OUTPUT_FIELDS[endpoint];
  if (fields.length === 0) return;
  let present = false;
  for (const field of fields) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    present = true;
    if (typeof value !== 'number' || !Number.isFinite(value) || value > max) body[field] = max;
  }
  if (!present) body[fields[0]!] = max;
}

/** Request features a level may be denied: streaming, tools, images. */
export function usedFeatures(body: Record<string, unknown>): string[] {
  const used: string[] = [];
  if (body.stream === true) used.push('streaming');
  if (Array.isArray(body.tools) && body.tools.length > 0) used.push('tools');
  if (hasImage(body.messages) || hasImage(body.input)) used.push('images');
  return used;
}

function hasImage(value: unknown, depth = 0): boolean {
  if (depth > 6 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => hasImage(v, depth + 1));
  const type = (value as { type?: unknown }).type;
  if (type === 'image_url' || type === 'input_image') return true;
  return hasImage((value as { content?: unknown }).content, depth + 1);
}
