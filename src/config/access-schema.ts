/**
 * The `access` section of the configuration: what each verification level may
 * do, how abuse strikes add up and decay, what a suspended user is told, and
 * who hears about security events. Part of the one configuration schema
 * (`schema.ts`); documented in docs/access-control.md.
 */
import { z } from 'zod';
import { duration } from './duration.js';

/** Verification levels, weakest first. */
export const VERIFICATION_LEVELS = ['anonymous', 'registered', 'email_verified', 'account_linked', 'payment_verified', 'id_verified'] as const;
export type VerificationLevel = (typeof VERIFICATION_LEVELS)[number];

export function isVerificationLevel(value: unknown): value is VerificationLevel {
  return typeof value === 'string' && (VERIFICATION_LEVELS as readonly string[]).includes(value);
}

/** Request features a level can be allowed or denied. `*` allows all. */
export const ACCESS_FEATURES = ['streaming', 'tools', 'images'] as const;

export const levelLimitsSchema = z
  .object({
    /** requests per minute per user (a token bucket: bursts up to this many, refilled evenly) */
    requestsPerMinute: z.number().int().positive(),
    /** prompt + completion tokens per user per UTC day */
    tokensPerDay: z.number().int().positive(),
    /** ceiling on output tokens per request (clamps the request's own limit) */
    maxOutputTokens: z.number().int().min(16),
    /** model globs this level may use, e.g. ["gpt-4o-mini", "gpt-4.1*"]; ["*"] for all */
    models: z.array(z.string().min(1)).min(1),
    /** request features this level may use: streaming, tools, images; ["*"] for all */
    features: z.array(z.union([z.enum(ACCESS_FEATURES), z.literal('*')])),
    /** policy for this level's requests instead of the key's (must be allowed by the key's scopes) */
    policy: z.string().optional(),
    /** self-service keys a signed-in user at this level may hold at once (0: none) */
    selfServiceKeys: z.number().int().min(0),
  })
  .strict();

export type LevelLimits = z.output<typeof levelLimitsSchema>;

/** Built-in limits; a configuration overrides any field of any level. */
export const DEFAULT_LEVEL_LIMITS: Record<VerificationLevel, LevelLimits> = {
  anonymous: { requestsPerMinute: 60, tokensPerDay: 200_000, maxOutputTokens: 1024, models: ['*'], features: ['*'], selfServiceKeys: 0 },
  registered: { requestsPerMinute: 60, tokensPerDay: 500_000, maxOutputTokens: 4096, models: ['*'], features: ['*'], selfServiceKeys: 0 },
  email_verified: { requestsPerMinute: 120, tokensPerDay: 1_000_000, maxOutputTokens: 4096, models: ['*'], features: ['*'], selfServiceKeys: 2 },
  account_linked: { requestsPerMinute: 120, tokensPerDay: 2_000_000, maxOutputTokens: 8192, models: ['*'], features: ['*'], selfServiceKeys: 3 },
  payment_verified: { requestsPerMinute: 600, tokensPerDay: 10_000_000, maxOutputTokens: 16_384, models: ['*'], features: ['*'], selfServiceKeys: 10 },
  id_verified: { requestsPerMinute: 1200, tokensPerDay: 20_000_000, maxOutputTokens: 32_768, models: ['*'], features: ['*'], selfServiceKeys: 20 },
};

export const accessSchema = z
  .object({
    /** per-user limits, suspensions and key scopes; off admits every authenticated request (keys still expire and revoke) */
    enabled: z.boolean().default(true),
    /** per-level overrides of DEFAULT_LEVEL_LIMITS, e.g. `anonymous: { requestsPerMinute: 5 }` */
    levels: z.partialRecord(z.enum(VERIFICATION_LEVELS), levelLimitsSchema.partial().strict()).default({}),
    strikes: z
      .object({
        /** strikes per request outcome */
        weights: z
          .object({
            block: z.number().min(0).default(3),
            flag: z.number().min(0).default(1),
            review: z.number().min(0).default(1),
            /** each request a suspended user still sends; persistent attempts lead to review */
            refused: z.number().min(0).default(0.5),
          })
          .strict()
          .prefault({}),
        /** strikes halve after this long without new ones */
        halfLife: duration.default(86_400_000),
        /** at this many (decayed) strikes a user is throttled: their rate limit is multiplied by throttleFactor */
        throttle: z.number().positive().default(5),
        /** at this many a user is suspended: 403 until an administrator restores them */
        suspend: z.number().positive().default(14),
        /** at this many a suspended user is put up for an administrator's review */
        review: z.number().positive().default(30),
        /** share of the normal rate a throttled user keeps, 0..1 */
        throttleFactor: z.number().min(0).max(1).default(0.2),
      })
      .strict()
      .refine((s) => s.throttle <= s.suspend && s.suspend <= s.review, 'thresholds must satisfy throttle <= suspend <= review')
      .prefault({}),
    /** what a suspended user is told about appealing, appended to the 403 message */
    appeal: z
      .string()
      .min(1)
      .max(1000)
      .default('To appeal, contact the operator of this application and quote the request id from this response.'),
    /** how long a replica trusts a cached user state (suspensions by another replica or the CLI apply within this) */
    stateCacheTtl: duration.default(5000),
    notify: z
      .object({
        /** receives security notices as signed JSON POSTs */
        webhook: z
          .object({
            url: z.url({ protocol: /^https?$/ }),
            /** HMAC-SHA256 key for the x-safegate-signature header (env SAFEGATE_NOTIFY_WEBHOOK_SECRET) */
            secret: z.string().min(16).optional(),
          })
          .strict()
          .optional(),
        /** administrators who receive security notices by email (through the configured mailer) */
        emails: z.array(z.email()).default([]),
      })
      .strict()
      .prefault({}),
    upstreamKeys: z
      .object({
        /** how often a gateway reloads upstream keys added, rotated or revoked from elsewhere */
        refreshInterval: duration.default(5000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AccessConfig = z.output<typeof accessSchema>;

/** The effective limits of every level: built-in defaults with the configuration's overrides. */
export function resolveLevelLimits(access: Pick<AccessConfig, 'levels'>): Record<VerificationLevel, LevelLimits> {
  const out = {} as Record<VerificationLevel, LevelLimits>;
  for (const level of VERIFICATION_LEVELS) {
    const override = Object.fromEntries(Object.entries(access.levels[level] ?? {}).filter(([, v]) => v !== undefined));
    out[level] = { ...DEFAULT_LEVEL_LIMITS[level], ...override };
  }
  return out;
}
