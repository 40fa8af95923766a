/**
 * The contract between the pipeline and the checks. Checks import only this
 * module (and `shared/`); everything a check needs at run time reaches it
 * through `CheckContext`.
 */
import type { z } from 'zod';
import type { BackendChoice, ClassifierKind } from '../shared/classifier-backend-config.js';

/** Where a check runs. `both` means it is offered for input and output. */
export type CheckStage = 'input' | 'output' | 'both';

/** The stage a check is running in right now. */
export type Stage = 'input' | 'output';

/**
 * What a check decides. Ordered from least to most strict; the strictest
 * verdict of a stage wins (see `strictness`).
 * - allow: nothing to do
 * - flag: allowed, but recorded (and counted as a strike later)
 * - redact: allowed after the text is transformed (see `Verdict.redactions`)
 * - review: allowed or held for a human, depending on the policy's review settings
 * - block: refused
 */
export type Decision = 'allow' | 'flag' | 'redact' | 'review' | 'block';

export const DECISIONS: readonly Decision[] = ['allow', 'flag', 'redact', 'review', 'block'];

export function strictness(decision: Decision): number {
  return DECISIONS.indexOf(decision);
}

/**
 * Replace `text.slice(start, end)` of segment `segment` with `replacement`.
 * Offsets are UTF-16 code-unit offsets into the text the check was given.
 * An empty replacement deletes the span.
 */
export interface Redaction {
  segment: number;
  start: number;
  end: number;
  replacement: string;
  /** What was found, e.g. `email`, `openai_api_key`. Never the matched text. */
  kind: string;
}

/** A check's answer. Data, not an exception: exceptions are bugs or outages. */
export interface Verdict {
  decision: Decision;
  /**
   * Short reasons a person can read in the audit log and in a block error,
   * e.g. `"credit card number"`. Never echo the offending content.
   */
  reasons: string[];
  /** Named scores in 0..1 (classifier probabilities) or counts, for audit and tuning. */
  scores?: Record<string, number>;
  /** Required when decision is `redact`; optional with `flag` for normalisers. */
  redactions?: Redaction[];
  /**
   * Top-level request fields to set before the request goes upstream
   * (e.g. `{max_completion_tokens: 4096}`). Input stage only.
   */
  requestPatch?: Record<string, unknown>;
  /**
   * Streaming windows only (`input.window.final === false`): the text of
   * `segment` from `index` on may be the start of a match that continues in
   * text not received yet (e.g. a key cut by the window edge). The stream
   * guard keeps it unreleased until the next window, up to the policy's bound.
   */
  holdFrom?: Array<{ segment: number; index: number }>;
}

/** Where a piece of text sits in the conversation; checks weigh sources differently. */
export type SegmentSource =
  /** end-user or app prompt text (user/assistant messages, Responses input) */
  | 'prompt'
  /** system / developer messages and Responses `instructions` */
  | 'instructions'
  /** tool results, function_call_output items, retrieved documents: untrusted third-party text */
  | 'tool'
  /** model output */
  | 'output';

export interface TextSegment {
  text: string;
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'output';
  source: SegmentSource;
  /** JSON-path-like pointer into the request or response body, e.g. `messages[2].content[0].text`. */
  path: string;
}

export interface ImageRef {
  /** https URL or data: URL */
  url: string;
  path: string;
}

export interface CheckInput {
  /** The texts to judge, in conversation order. Redactions refer to these by index. */
  segments: TextSegment[];
  /** Images attached to the request (input stage only). */
  images: ImageRef[];
  /**
   * Output stage while streaming: the segments hold a window of the output,
   * not all of it. `final` is true on the last window and on non-streamed output.
   */
  window?: { offset: number; final: boolean };
}

/**
 * Services the composition root offers to checks. Each member is optional so
 * that a check can say clearly when the service it needs is not configured.
 */
export interface CheckServices {
  /** Calls the configured upstream's `/v1/moderations`; texts and images of one request in one call. */
  moderate?: (request: ModerationCall, signal: AbortSignal) => Promise<ModerationResultLike[]>;
  /** Scores texts with one of Safegate's own offline classifiers. */
  classify?: (model: string, texts: string[]) => Promise<Array<Record<string, number>>>;
  /** Safegate's classifier back-ends (local models, provider moderation, LLM judges, ONNX models, cascades). */
  classifiers?: ClassifierBackends;
  /**
   * Reports a credential found in traffic that Safegate can act on: one of its
   * own gateway keys (revoked at once) or one of its upstream keys (alert).
   * Returns at once; handling happens in the background. Never pass other secrets.
   */
  reportLeak?: (leak: { kind: 'safegate_key' | 'upstream_key'; value: string; stage: 'input' | 'output'; requestId?: string }) => void;
  /** True when `value` is exactly one of the upstream provider keys Safegate holds. Call it only on candidate matches. */
  isUpstreamKey?: (value: string) => boolean;
  /** Generic services added by later capabilities (judge endpoints, key registries, ...). */
  [name: string]: unknown;
}

/**
 * Scores texts for one classifier kind with the back-end a check's
 * configuration names (see `src/classifiers/backends/`).
 *
 * Contract: one result item per input text, in order; a text longer than the
 * choice's `chunkChars` is scored in overlapping chunks and each label keeps
 * its largest score; identical texts are scored once. Rejects when the
 * back-end cannot answer (unreachable, timed out, malformed answer): never a
 * silent "nothing found".
 */
export interface ClassifierBackends {
  classify(request: ClassifyRequest, ctx: CheckContext): Promise<ClassifyResult>;
  /**
   * The same answer without a promise when the chosen back-end scores in
   * process (`local`, no images); undefined otherwise. Throws where `classify`
   * would reject. Lets a check on the default policy stay synchronous, which
   * spares the runner a timer per check.
   */
  classifySync?(request: ClassifyRequest, ctx: CheckContext): ClassifyResult | undefined;
}

export interface ClassifyRequest {
  kind: ClassifierKind;
  /** the back-end fields of the check's parsed configuration; the object is reused, so back-ends cache per choice */
  choice: BackendChoice;
  texts: readonly string[];
  /** images of the request; only back-ends that read images (provider moderation) use them */
  images?: readonly ImageRef[];
}

export interface ClassifiedItem {
  /** 0..1 per label (classifier probability, or the judge's probability of a violation) */
  scores: Record<string, number>;
  /** labels the back-end flags by its own thresholds (for the provider: the API's `categories`) */
  flagged: string[];
  /** which back-end decided: `local`, `provider`, `judge`, `onnx` or `inline` (a cached answer reports the back-end that gave it) */
  by: string;
}

export interface ClassifyResult {
  /** one per input text */
  items: ClassifiedItem[];
  /** results not tied to one text: images, or inline moderation of the whole input or output */
  extra: ClassifiedItem[];
  /** top-level request fields to set upstream (inline moderation asks for scores in the generation request) */
  requestPatch?: Record<string, unknown>;
}

export interface ModerationCall {
  model: string;
  input: string[] | Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }>;
}

export interface ModerationResultLike {
  flagged: boolean;
  categories: Record<string, boolean | null>;
  category_scores: Record<string, number>;
}

export interface CheckContext {
  requestId: string;
  stage: Stage;
  endpoint: 'chat.completions' | 'responses' | 'moderations';
  /** The model the client asked for. */
  model: string;
  policy: string;
  keyId?: string;
  /** The derived safety identifier (never the raw user id). */
  safetyId?: string;
  /** The parsed request body, read-only. Input-stage checks that enforce field limits read it. */
  request: Readonly<Record<string, unknown>>;
  /** Output stage, non-streamed: the provider's whole answer (e.g. for inline moderation scores). Read-only. */
  response?: Readonly<Record<string, unknown>>;
  /** Aborted when the check times out or the client goes away. */
  signal: AbortSignal;
  services: CheckServices;
}

/**
 * One safety check. Lives in `src/checks/<id>.ts`, default-exported, and is
 * listed once in `src/checks/index.ts`.
 *
 * Contract:
 * - `run` is pure with respect to its inputs apart from `ctx.services`; it must
 *   not mutate `input`.
 * - Throwing means "failed to run": the runner records an error and applies the
 *   entry's failure policy (fail-closed by default). It never becomes an allow.
 * - Reasons never contain the offending text.
 *
 * @example
 * export default defineCheck({
 *   id: 'deny-list', stage: 'both', description: 'Blocks listed words',
 *   config: z.object({ words: z.array(z.string()).default([]) }),
 *   run(ctx, input, config) { return { decision: 'allow', reasons: [] }; },
 * });
 */
export interface CheckDefinition<S extends z.ZodType = z.ZodType> {
  /** kebab-case, equal to the file name */
  id: string;
  stage: CheckStage;
  /**
   * `normalize` checks run first, one after another, and their redactions are
   * applied before the other checks of the stage see the text (e.g. stripping
   * invisible characters). Default `check`.
   */
  phase?: 'normalize' | 'check';
  description: string;
  /** zod schema of the check's own configuration, with defaults for every field. */
  config: S;
  /** Output stage: whether the check may judge partial windows of a stream. Default true. */
  streaming?: boolean;
  run(ctx: CheckContext, input: CheckInput, config: z.output<S>): Verdict | Promise<Verdict>;
}

export function defineCheck<S extends z.ZodType>(definition: CheckDefinition<S>): CheckDefinition<S> {
  return definition;
}

/** What the runner records for each check that ran. */
export interface CheckResult {
  checkId: string;
  stage: Stage;
  /** `error` when the check threw or timed out; `decision` then holds the failure policy's outcome. */
  status: 'ok' | 'error' | 'timeout';
  decision: Decision;
  /** True when the entry is in shadow mode: recorded, not enforced. */
  shadow: boolean;
  reasons: string[];
  scores?: Record<string, number>;
  latencyMs: number;
  /** Set on error: a short, secret-free description. */
  error?: string;
}
