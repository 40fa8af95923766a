/**
 * One proxied generation request (Chat Completions or Responses), in the
 * fixed order of DESIGN.md: identity → input checks → upstream → output checks
 * → record. Routes stay thin; this is where the decisions are made.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../errors/gateway-error.js';
import type { Metrics } from '../observability/metrics.js';
import type { CompiledPolicy, PolicySet } from '../policy/compile.js';
import { runStage, type StageOutcome } from '../pipeline/run.js';
import { extractChatInput, extractChatOutput, extractResponsesInput, extractResponsesOutput, setAtPath, type Extracted } from '../pipeline/segments.js';
import { StreamGuard } from '../pipeline/stream-guard.js';
import type { CheckContext, CheckServices } from '../pipeline/types.js';
import type { SafetyIds } from '../identity/safety-id.js';
import type { UpstreamRouter } from '../upstream/router.js';
import type { SseEvent } from '../upstream/types.js';
import type { ApiKeyRecord } from '../storage/types.js';
import { guardChatStream } from './chat-stream.js';
import type { AccessControl } from './access.js';
import { Exchange, type AuditSink } from './exchange.js';
import { chatRefusal, chatRefusalStream, responsesRefusal, responsesRefusalStream } from './refusals.js';
import { guardResponsesStream } from './responses-stream.js';
import { holdForInlineModeration, replay, usesInlineModeration, type HeldStream } from './inline-stream.js';

type Json = Record<string, unknown>;
export type GenerationEndpoint = 'chat.completions' | 'responses';

/** Who is calling, as established by authentication. */
export interface Caller {
  keyId: string | null;
  /** policy named by the key, or null for the default */
  policy: string | null;
  addr: string | null;
  /** true when a gateway key authenticated the request (only then is X-Safegate-User trusted) */
  authenticated: boolean;
  headerUser?: string | undefined;
  sessionHeader?: string | undefined;
  /** X-Safegate-User-Level: a verification level asserted by the app */
  headerLevel?: string | undefined;
  /** the authenticated key's record */
  key?: ApiKeyRecord | null;
}

export type Reply =
  | { type: 'json'; status: number; body: unknown; headers: Record<string, string> }
  | { type: 'stream'; headers: Record<string, string>; events: AsyncGenerator<SseEvent> };

export interface ProxyDeps {
  policies: PolicySet;
  router: UpstreamRouter;
  safetyIds: SafetyIds;
  services: CheckServices;
  sink: AuditSink;
  metrics: Metrics;
  logger: Logger;
  access: AccessControl;
}

function checksHeader(policy: CompiledPolicy): string {
  const names = [...policy.input.map((c) => `input:${c.definition.id}${c.mode === 'shadow' ? '(shadow)' : ''}`), ...policy.output.map((c) => `output:${c.definition.id}${c.mode === 'shadow' ? '(shadow)' : ''}`)];
  return names.join(',');
}

function blockError(outcome: StageOutcome, stage: 'input' | 'output'): GatewayError {
  const by = outcome.blockedBy!;
  if (by.failed) {
    return new GatewayError('CHECK_FAILED', {
      message: `The ${by.checkId} check could not run and the policy fails closed.`,
      details: { check: by.checkId, stage },
    });
  }
  return new GatewayError('CONTENT_BLOCKED', {
    message: `The ${stage === 'input' ? 'request' : 'response'} was blocked by the ${by.checkId} check: ${by.reasons.join('; ') || 'policy violation'}.`,
    details: { check: by.checkId, stage, reasons: by.reasons },
  });
}

function countTokens(usage: Json | undefined, endpoint: GenerationEndpoint): { prompt: number | null; completion: number | null } {
  if (!usage) return { prompt: null, completion: null };
  const p = endpoint === 'chat.completions' ? usage.prompt_tokens : usage.input_tokens;
  const c = endpoint === 'chat.completions' ? usage.completion_tokens : usage.output_tokens;
  return { prompt: typeof p === 'number' ? p : null, completion: typeof c === 'number' ? c : null };
}

export class ProxyService {
  constructor(private readonly deps: ProxyDeps) {}

  async handle(endpoint: GenerationEndpoint, body: Json, caller: Caller, requestId: string, signal: AbortSignal): Promise<Reply> {
    const { deps } = this;
    const stream = body.stream === true;
    const exchange = new Exchange(requestId, endpoint, caller.keyId, stream, deps.sink, deps.metrics);
    let streaming = false;
    try {
      const model = String(body.model);
      exchange.model = model;
      const user = deps.safetyIds.resolve({
        headerUser: caller.headerUser,
        trustedHeader: caller.authenticated,
        body,
        session: caller.sessionHeader ?? `${caller.keyId ?? 'anonymous'}:${caller.addr ?? ''}`,
      });
      exchange.safetyId = user.safetyId;
      const admission = await deps.access.admit({
        endpoint, model, key: caller.key ?? null, safetyId: user.safetyId, rawUserId: user.rawUserId, userSource: user.source,
        claimedLevel: caller.headerLevel ?? null, addr: caller.addr, body,
      });
      const policy = deps.policies.get(admission.policy ?? caller.policy);
      exchange.policy = policy.name;
      const baseHeaders = { ...admission.headers, 'x-request-id': requestId, 'x-safegate-checks': checksHeader(policy), 'x-safegate-policy': policy.name };

      // Raw identifiers never leave: `user` is dropped and `safety_identifier` replaced by the HMAC.
      delete body.user;
      body.safety_identifier = user.safetyId;

      const ctx: CheckContext = { requestId, stage: 'input', endpoint, model, policy: policy.name, keyId: caller.keyId ?? undefined, safetyId: user.safetyId, request: body, signal, services: deps.services };
      const input: Extracted = endpoint === 'chat.completions' ? extractChatInput(body) : extractResponsesInput(body);
      const inOutcome = await runStage(policy.input, ctx, { segments: input.segments, images: input.images });
      exchange.addResults(inOutcome.results);
      if (inOutcome.decision === 'block') {
        exchange.block(inOutcome.blockedBy!.checkId);
        return this.refuseInput(endpoint, body, policy, inOutcome, exchange, baseHeaders, stream);
      }
      if (inOutcome.changed) input.paths.forEach((p, i) => setAtPath(body, p, inOutcome.texts[i]));
      const clientAskedModeration = body.moderation !== undefined && body.moderation !== null;
      Object.assign(body, inOutcome.requestPatch);
      if (policy.record.content) {
        exchange.content = { input: endpoint === 'chat.completions' ? body.messages : { instructions: body.instructions ?? null, input: body.input }, output: null };
        exchange.contentRetentionMs = policy.record.retentionMs;
      }

      const clientWantsUsage = endpoint === 'chat.completions' && stream && (body.stream_options as Json | undefined)?.include_usage === true;
      if (endpoint === 'chat.completions' && stream) body.stream_options = { ...((body.stream_options as Json) ?? {}), include_usage: true };

      const upstream = deps.router.pick(model);
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const t0 = performance.now();
      const res = await upstream.call({ endpoint, body, signal: controller.signal, requestId });
      exchange.upstreamMs = performance.now() - t0;
      deps.metrics.upstreamDuration.observe({ upstream: upstream.name, status: String(res.status) }, exchange.upstreamMs / 1000);

      if (res.kind === 'json' && res.status >= 400) {
        signal.removeEventListener('abort', onAbort);
        return this.upstreamError(res.status, res.body, exchange, baseHeaders, res.headers);
      }
      const outCtx: CheckContext = { ...ctx, stage: 'output' };
      if (res.kind === 'json') {
        signal.removeEventListener('abort', onAbort);
        const answer = res.body as Json;
        const reply = await this.checkJsonOutput(endpoint, body, answer, policy, { ...outCtx, response: answer }, exchange, baseHeaders);
        // Inline moderation scores Safegate asked for are its own business, not the client's.
        if (!clientAskedModeration && reply.type === 'json' && reply.body && typeof reply.body === 'object') delete (reply.body as Json).moderation;
        return reply;
      }

      // Inline moderation scores come after the whole answer: hold it, then judge it with them (see inline-stream.ts).
      let upstreamEvents: AsyncIterable<SseEvent> = res.events;
      let streamCtx: CheckContext = outCtx;
      if (usesInlineModeration(policy.output)) {
        let held: HeldStream;
        try {
          held = await holdForInlineModeration(res.events, clientAskedModeration);
        } catch (err) {
          signal.removeEventListener('abort', onAbort);
          controller.abort();
          if (err instanceof GatewayError || signal.aborted) throw err;
          throw new GatewayError('UPSTREAM_UNAVAILABLE', { message: 'The upstream connection failed during the stream.', cause: err });
        }
        upstreamEvents = replay(held.events);
        if (held.moderation) streamCtx = { ...outCtx, response: { moderation: held.moderation } } as CheckContext;
      }
      const guard = new StreamGuard({
        holdBack: policy.streaming.holdBackChars,
        overlap: policy.streaming.overlapChars,
        holdAll: policy.output.some((c) => c.definition.streaming === false),
        check: (segments, window) => runStage(policy.output, streamCtx, { segments, images: [], window }),
      });
      const hooks = {
        guard,
        refusalMessage: policy.blocking.mode === 'refusal' ? policy.blocking.refusalMessage : null,
        onBlock: (outcome: StageOutcome) => {
          exchange.block(outcome.blockedBy!.checkId);
          controller.abort(new Error('blocked by an output check'));
        },
        onUsage: (usage: Json) => {
          const t = countTokens(usage, endpoint);
          exchange.promptTokens = t.prompt;
          exchange.completionTokens = t.completion;
        },
        onUpstreamError: (message: string) => {
          deps.logger.warn({ requestId, upstream: upstream.name }, message);
          exchange.fail('upstream_error', 200);
        },
      };
      const guarded = endpoint === 'chat.completions' ? guardChatStream(upstreamEvents, { ...hooks, includeUsage: clientWantsUsage }) : guardResponsesStream(upstreamEvents, hooks);
      streaming = true;
      const logger = deps.logger;
      const events = (async function* () {
        try {
          yield* guarded;
        } catch (err) {
          // The upstream connection broke mid-stream (or the client left): tell the client explicitly.
          if (!signal.aborted) {
            logger.warn({ requestId, err: (err as Error)?.name }, 'upstream stream failed');
            exchange.fail('upstream_unavailable', 200);
            const error = { message: 'The upstream connection failed during the stream.', type: 'server_error', param: null, code: 'upstream_unavailable' };
            yield endpoint === 'chat.completions' ? { data: JSON.stringify({ error }) } : { event: 'error', data: JSON.stringify({ ...error, type: 'error', error_type: error.type, sequence_number: 0 }) };
          } else exchange.fail('client_disconnected', 499);
        } finally {
          signal.removeEventListener('abort', onAbort);
          if (!controller.signal.aborted && signal.aborted) controller.abort();
          exchange.addResults(guard.results.values());
          if (exchange.content) exchange.content.output = collectReleased(guard);
          exchange.upstreamMs = performance.now() - t0;
          exchange.finish();
        }
      })();
      return { type: 'stream', headers: baseHeaders, events };
    } catch (err) {
      const e = err instanceof GatewayError ? err : null;
      if (signal.aborted && !e) exchange.fail('client_disconnected', 499);
      else exchange.fail(e ? e.toBody().error.code ?? 'error' : 'internal_error', e ? e.status : 500);
      throw err;
    } finally {
      if (!streaming) exchange.finish();
    }
  }

  private refuseInput(endpoint: GenerationEndpoint, body: Json, policy: CompiledPolicy, outcome: StageOutcome, exchange: Exchange, headers: Record<string, string>, stream: boolean): Reply {
    const model = String(body.model);
    if (policy.blocking.mode === 'error' || outcome.blockedBy?.failed) {
      const err = blockError(outcome, 'input');
      exchange.fail(err.toBody().error.code ?? 'blocked', err.status);
      throw err;
    }
    const message = policy.blocking.refusalMessage;
    if (stream) {
      const events = endpoint === 'chat.completions' ? chatRefusalStream(model, message, (body.stream_options as Json | undefined)?.include_usage === true) : responsesRefusalStream(body, model, message);
      return { type: 'stream', headers, events: (async function* () { yield* events; })() };
    }
    const n = typeof body.n === 'number' ? body.n : 1;
    return { type: 'json', status: 200, headers, body: endpoint === 'chat.completions' ? chatRefusal(model, message, n) : responsesRefusal(body, model, message) };
  }

  private upstreamError(status: number, body: unknown, exchange: Exchange, headers: Record<string, string>, upstreamHeaders: Record<string, string>): Reply {
    if (status === 401 || status === 403) {
      // The provider refused Safegate's own key: not the caller's fault, and not a reason to show them an auth error.
      this.deps.logger.error({ requestId: exchange.requestId, status }, 'the upstream refused the gateway provider key');
      throw new GatewayError('UPSTREAM_ERROR', { message: 'The upstream provider refused the gateway credentials. The operator has been notified in the gateway log.' });
    }
    const err = (body as { error?: Json } | null)?.error;
    const clean = {
      error: {
        message: typeof err?.message === 'string' ? err.message : `The upstream provider answered with status ${status}.`,
        type: typeof err?.type === 'string' ? err.type : status >= 500 ? 'server_error' : 'invalid_request_error',
        param: typeof err?.param === 'string' ? err.param : null,
        code: typeof err?.code === 'string' ? err.code : null,
      },
    };
    exchange.fail(clean.error.code ?? `upstream_${status}`, status);
    // Safegate already retried 5xx answers; an SDK retry on top would multiply the load on a failing provider.
    const extra: Record<string, string> = status >= 500 ? { 'x-should-retry': 'false' } : {};
    if (upstreamHeaders['retry-after']) extra['retry-after'] = upstreamHeaders['retry-after'];
    return { type: 'json', status, body: clean, headers: { ...headers, ...extra } };
  }

  private async checkJsonOutput(endpoint: GenerationEndpoint, body: Json, answer: Json, policy: CompiledPolicy, ctx: CheckContext, exchange: Exchange, headers: Record<string, string>): Promise<Reply> {
    const tokens = countTokens(answer.usage as Json | undefined, endpoint);
    exchange.promptTokens = tokens.prompt;
    exchange.completionTokens = tokens.completion;
    const output = endpoint === 'chat.completions' ? extractChatOutput(answer) : extractResponsesOutput(answer);
    const outcome = await runStage(policy.output, ctx, { segments: output.segments, images: [], window: { offset: 0, final: true } });
    exchange.addResults(outcome.results);
    if (outcome.decision === 'block') {
      exchange.block(outcome.blockedBy!.checkId);
      if (policy.blocking.mode === 'error' || outcome.blockedBy!.failed) {
        const err = blockError(outcome, 'output');
        exchange.fail(err.toBody().error.code ?? 'blocked', err.status);
        throw err;
      }
      const refusal = endpoint === 'chat.completions' ? chatRefusal(String(answer.model ?? body.model), policy.blocking.refusalMessage, Array.isArray(answer.choices) ? answer.choices.length : 1) : responsesRefusal(body, String(answer.model ?? body.model), policy.blocking.refusalMessage);
      refusal.id = answer.id ?? refusal.id;
      refusal.usage = answer.usage ?? refusal.usage;
      return { type: 'json', status: 200, headers, body: refusal };
    }
    if (outcome.changed) output.paths.forEach((p, i) => setAtPath(answer, p, outcome.texts[i]));
    if (exchange.content) exchange.content.output = output.segments.map((_, i) => outcome.texts[i]).join('\n');
    return { type: 'json', status: 200, headers, body: answer };
  }
}

function collectReleased(guard: StreamGuard): string {
  return guard.releasedKeys().map((k) => guard.releasedText(k)).join('\n');
}
