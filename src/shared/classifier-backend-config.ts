/**
 * Configuration of the classifier back-ends, shared by the checks that choose
 * a back-end in policy (`injection`, `moderation`, `harmful-request`), by the
 * top-level `classifiers` section of `safegate.yaml` (named judges and ONNX
 * models), and by the back-ends themselves (`src/classifiers/backends/`).
 *
 * Every schema has a default for every optional field, so a parsed value is
 * complete; the back-ends never re-validate.
 */
import { z } from 'zod';

/** The classifier kinds Safegate scores; also the names of its shipped models. */
export const CLASSIFIER_KINDS = ['injection', 'moderation', 'harmful_request'] as const;
export type ClassifierKind = (typeof CLASSIFIER_KINDS)[number];

/** A name under `classifiers.judges` or `classifiers.onnx`. */
export const backendNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a lower-case name');

/**
 * An LLM judge on any OpenAI-compatible chat endpoint (vLLM, Ollama, OpenAI, ...).
 *
 * `format: json` asks for `{"violation","categories","confidence","rationale"}`
 * (gpt-oss-safeguard and general models); `format: llama-guard` reads Llama
 * Guard's native `safe` / `unsafe\nS1,S2` answer. Any other answer is an error.
 */
export const judgeEndpointSchema = z
  .object({
    /** OpenAI-compatible base URL including /v1, e.g. http://127.0.0.1:8000/v1 */
    baseUrl: z.url({ protocol: /^https?$/ }),
    apiKey: z.string().min(1).optional(),
    model: z.string().min(1),
    /** the written policy the judge applies; a built-in policy per classifier kind when absent */
    policy: z.string().min(1).max(100_000).optional(),
    format: z.enum(['json', 'llama-guard']).default('json'),
    /** per judge call, including retries */
    timeoutMs: z.number().int().positive().max(120_000).default(10_000),
    /** `max_tokens` of the judge call (reasoning models need room to think) */
    maxTokens: z.number().int().positive().max(32_768).default(1024),
    /** send `response_format: {type: "json_object"}` (only where the server supports it) */
    jsonMode: z.boolean().default(false),
    /** longest text per judge call; longer texts are judged in overlapping chunks */
    maxChars: z.number().int().min(256).max(200_000).default(8000),
    /** most judge calls one check may make for one request; more fails the check rather than skipping text */
    maxCalls: z.number().int().positive().max(1000).default(16),
    /** judge calls in flight at once for one check */
    concurrency: z.number().int().positive().max(64).default(4),
    /** how long a judge answer for the same text is reused; 0 disables the cache */
    cacheTtlMs: z.number().int().nonnegative().default(60_000),
  })
  .strict();

export type JudgeEndpoint = z.output<typeof judgeEndpointSchema>;

/**
 * A sequence-classification model exported to ONNX, in a local folder:
 * `model.onnx` (or `onnx/model.onnx`), `config.json` (`id2label`, optional
 * `problem_type`) and `tokenizer.json` (WordLevel or WordPiece).
 */
export const onnxModelSchema = z
  .object({
    dir: z.string().min(1),
    /** the model's label → Safegate's label (e.g. `INJECTION: injection`); unmapped labels keep their lower-cased name */
    labelMap: z.record(z.string(), z.string()).default({}),
    /** per Safegate label; labels not listed use `defaultThreshold` */
    thresholds: z.record(z.string(), z.number().min(0).max(1)).default({}),
    defaultThreshold: z.number().min(0).max(1).default(0.5),
    /** tokens per text, including special tokens; default from tokenizer.json's truncation, else 512 */
    maxLength: z.number().int().min(8).max(8192).optional(),
    /** texts per inference call */
    batchSize: z.number().int().positive().max(256).default(16),
  })
  .strict();

export type OnnxModel = z.output<typeof onnxModelSchema>;

/** The local model first; the judge only when a score falls inside `[low, high]`. */
export const cascadeSchema = z
  .object({
    low: z.number().min(0).max(1).default(0.2),
    high: z.number().min(0).max(1).default(0.9),
  })
  .strict()
  .refine((c) => c.low <= c.high, { message: 'low must not exceed high' });

/** The provider's Moderation API through the configured upstream. */
export const providerModerationSchema = z
  .object({
    model: z.string().min(1).default('omni-moderation-latest'),
    /** reuse a result for the same text (by SHA-256) this long; 0 disables the cache */
    cacheTtlMs: z.number().int().nonnegative().max(86_400_000).default(60_000),
    /** most cached results kept */
    cacheSize: z.number().int().positive().max(1_000_000).default(10_000),
    /** send the request's images as multimodal input (omni models only) */
    images: z.boolean().default(true),
  })
  .strict();

export const BACKENDS = ['local', 'provider', 'judge', 'onnx', 'cascade', 'inline'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * The back-end fields of a classifier check's configuration. `allowed` lists
 * the back-ends the kind supports (`provider` and `inline` are moderation only).
 */
export function backendFields(allowed: readonly BackendName[]) {
  return {
    backend: z.enum(allowed as [BackendName, ...BackendName[]]).default('local').describe('Which classifier scores the text (see docs/classifiers.md).'),
    judge: z.union([backendNameSchema, judgeEndpointSchema]).optional().describe('For `judge` and `cascade`: a name under `classifiers.judges`, or `{baseUrl, model, policy, ...}`.'),
    onnx: z.union([backendNameSchema, onnxModelSchema]).optional().describe('For `onnx`: a name under `classifiers.onnx`, or `{dir, labelMap, ...}`.'),
    cascade: cascadeSchema.prefault({}).describe('For `cascade`: the judge decides texts whose largest local score is within `[low, high]`.'),
    provider: providerModerationSchema.prefault({}).describe('For `provider` and `inline`: Moderation API model, result cache, images.'),
    chunkChars: z.number().int().min(256).max(1_000_000).default(4096).describe('Longest text per scoring call; longer texts are scored in overlapping chunks, each label keeping its largest score.'),
  };
}

/** The parsed back-end part of a check configuration, as the back-ends read it. */
export interface BackendChoice {
  backend: BackendName;
  judge?: string | JudgeEndpoint | undefined;
  onnx?: string | OnnxModel | undefined;
  cascade: { low: number; high: number };
  provider: z.output<typeof providerModerationSchema>;
  chunkChars: number;
}

/** Cross-field rules: the judge and ONNX back-ends need their settings. */
export function refineBackend(value: Pick<BackendChoice, 'backend' | 'judge' | 'onnx'>, ctx: z.core.$RefinementCtx): void {
  if ((value.backend === 'judge' || value.backend === 'cascade') && value.judge === undefined) {
    ctx.addIssue({ code: 'custom', path: ['judge'], message: `backend "${value.backend}" needs a judge (a name under classifiers.judges or {baseUrl, model, ...})` });
  }
  if (value.backend === 'onnx' && value.onnx === undefined) {
    ctx.addIssue({ code: 'custom', path: ['onnx'], message: 'backend "onnx" needs a model (a name under classifiers.onnx or {dir, ...})' });
  }
}

/** Top-level `classifiers` section of safegate.yaml. */
export const classifiersConfigSchema = z
  .object({
    /** folder of Safegate's own models (default: the shipped models/) */
    modelsDir: z.string().optional(),
    /** named judge endpoints, referenced from policies as `judge: <name>` */
    judges: z.record(backendNameSchema, judgeEndpointSchema).default({}),
    /** named ONNX models, referenced from policies as `onnx: <name>` */
    onnx: z.record(backendNameSchema, onnxModelSchema).default({}),
  })
  .strict();

export type ClassifiersConfig = z.output<typeof classifiersConfigSchema>;
