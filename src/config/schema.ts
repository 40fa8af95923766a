/**
 * The one configuration schema: `safegate.yaml` plus environment overrides.
 * Parsed once at start (see `load.ts`); everything else receives the typed `Config`.
 */
import { z } from 'zod';
import { duration } from './duration.js';
import { classifiersConfigSchema } from '../shared/classifier-backend-config.js';
import { accessSchema } from './access-schema.js';
import { accountsSchema } from './accounts-schema.js';

export const checkEntrySchema = z
  .object({
    /** enforce: act on the verdict; shadow: run and record what it would have done; off: skip */
    mode: z.enum(['enforce', 'shadow', 'off']).default('enforce'),
    /** milliseconds before the check counts as failed */
    timeoutMs: z.number().int().positive().max(120_000).default(2000),
    /** what a failed check means: fail-closed blocks, fail-open allows (both are recorded as errors) */
    onError: z.enum(['fail-closed', 'fail-open']).default('fail-closed'),
    /** the check's own settings, validated against its schema at start */
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type CheckEntry = z.output<typeof checkEntrySchema>;

/** A check list: `{checkId: entry}`; `null` or `false` removes an inherited check. */
const checkList = z.record(z.string(), z.union([checkEntrySchema, z.null(), z.literal(false)]));

export const policySchema = z
  .object({
    /** name of a policy whose checks and settings this one starts from */
    extends: z.string().optional(),
    description: z.string().optional(),
    input: checkList.optional(),
    output: checkList.optional(),
    blocking: z
      .object({
        /** error: an OpenAI-format 400 error; refusal: a normal answer with finish_reason content_filter */
        mode: z.enum(['error', 'refusal']).optional(),
        refusalMessage: z.string().min(1).max(2000).optional(),
      })
      .strict()
      .optional(),
    streaming: z
      .object({
        /** characters of output held back and checked before the client sees them */
        holdBackChars: z.number().int().min(16).max(100_000).optional(),
        /** characters of already released text re-checked with the next window (catches matches across window edges) */
        overlapChars: z.number().int().min(0).max(10_000).optional(),
      })
      .strict()
      .optional(),
    record: z
      .object({
        /** store raw prompt and response text in the audit record */
        content: z.boolean().optional(),
        /** how long stored raw text is kept */
        retention: duration.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type PolicyConfig = z.output<typeof policySchema>;

export const upstreamSchema = z
  .object({
    /** OpenAI-compatible base URL including /v1, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 */
    baseUrl: z.url({ protocol: /^https?$/ }),
    /** the provider key Safegate uses; never the caller's */
    apiKey: z.string().min(1).optional(),
    /** longest silence while reading an answer, between two chunks of data (a long gap before the first token is normal for some providers) */
    timeout: duration.default(600_000),
    /** time allowed to receive response headers */
    headersTimeout: duration.default(120_000),
    /** retries on 429 and 5xx, honouring Retry-After */
    maxRetries: z.number().int().min(0).max(10).default(2),
    /** longest Retry-After honoured before giving up */
    maxRetryDelay: duration.default(30_000),
    /** models this upstream serves; empty means any */
    models: z.array(z.string()).default([]),
  })
  .strict();

export type UpstreamConfig = z.output<typeof upstreamSchema>;

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
        /** largest request body accepted, in bytes */
        bodyLimit: z.number().int().positive().max(100 * 1024 * 1024).default(4 * 1024 * 1024),
        /** trust X-Forwarded-For for the caller's address (behind a load balancer) */
        trustProxy: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** where SQLite, the identity secret and other local state live */
    dataDir: z.string().default('.safegate'),
    upstreams: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a lower-case name'), upstreamSchema).default({}),
    /** Safegate's classifiers: the models folder, named LLM judges and ONNX models that policies refer to */
    classifiers: classifiersConfigSchema.prefault({}),
    /** the embedded validated-answers responder (answers every model when no upstream is configured) */
    articles: z
      .object({
        /** folder of Markdown support articles (default: the bundled sample knowledge base) */
        dir: z.string().optional(),
        /** minimum confidence 0..1 for answering with an article rather than the fallback */
        threshold: z.number().min(0).max(1).optional(),
        /** how to reach a person, completing "To reach a person, …" in the fallback message */
        contact: z.string().min(1).max(500).optional(),
        /** replaces the whole fallback message */
        fallbackMessage: z.string().min(1).max(2000).optional(),
      })
      .strict()
      .prefault({}),
    identity: z
      .object({
        /** HMAC secret for safety identifiers; generated into the data directory when absent */
        secret: z.string().min(32, 'at least 32 characters').optional(),
        /** tenant label mixed into every identifier (distinguishes deployments sharing a secret) */
        tenant: z.string().min(1).default('default'),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** refuse requests without a valid gateway key */
        required: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    policies: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a lower-case name'), policySchema).default({}),
    /** the policy used by keys that name none */
    defaultPolicy: z.string().default('default'),
    database: z
      .object({
        /** postgres://... to use PostgreSQL; SQLite in the data directory otherwise */
        url: z.string().optional(),
      })
      .strict()
      .prefault({}),
    redis: z.object({ url: z.string().optional() }).strict().prefault({}),
    /** verification levels and their limits, abuse strikes, suspensions, security notices (docs/access-control.md) */
    access: accessSchema.prefault({}),
    /** end-user and administrator accounts: sign-in, sessions, OAuth/OIDC, mail, verification webhook (docs/accounts.md) */
    accounts: accountsSchema.prefault({}),
    logging: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
