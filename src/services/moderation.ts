/**
 * `POST /v1/moderations`: answered by the configured provider when there is
 * one, otherwise by Safegate's own offline moderation model, in OpenAI's
 * response shape either way.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { Metrics } from '../observability/metrics.js';
import type { UpstreamRouter } from '../upstream/router.js';
import { Exchange, type AuditSink } from './exchange.js';
import { newId } from './refusals.js';
import type { SafetyIds } from '../identity/safety-id.js';
import type { ApiKeyRecord } from '../storage/types.js';
import type { AccessControl } from './access.js';
import type { Caller, Reply } from './proxy.js';

export interface ModerationResult {
  flagged: boolean;
  categories: Record<string, boolean>;
  category_scores: Record<string, number>;
  category_applied_input_types: Record<string, string[]>;
}

/** Safegate's offline moderation model, as the moderation endpoint needs it. */
export interface LocalModerator {
  readonly model: string;
  moderate(texts: string[]): Promise<ModerationResult[]>;
}

export interface ModerationDeps {
  router: UpstreamRouter;
  safetyIds: SafetyIds;
  access: AccessControl;
  local: LocalModerator | null;
  sink: AuditSink;
  metrics: Metrics;
}

type Json = Record<string, unknown>;

export class ModerationService {
  constructor(private readonly deps: ModerationDeps) {}

  async handle(body: Json, ctx: { requestId: string; signal: AbortSignal; caller: Caller; key: ApiKeyRecord | null }): Promise<Reply> {
    const { caller } = ctx;
    const exchange = new Exchange(ctx.requestId, 'moderations', caller.keyId, false, this.deps.sink, this.deps.metrics);
    exchange.model = typeof body.model === 'string' ? body.model : 'omni-moderation-latest';
    let headers: Record<string, string> = { 'x-request-id': ctx.requestId };
    try {
      // Same identity and access rules as generation: key scopes, suspensions and rate limits apply here too.
      const user = this.deps.safetyIds.resolve({
        headerUser: caller.headerUser,
        trustedHeader: caller.authenticated,
        body: {},
        session: caller.sessionHeader ?? `${caller.keyId ?? 'anonymous'}:${caller.addr ?? ''}`,
      });
      exchange.safetyId = user.safetyId;
      const admission = await this.deps.access.admit({
        endpoint: 'moderations', model: exchange.model, key: ctx.key, safetyId: user.safetyId, rawUserId: user.rawUserId,
        userSource: user.source, claimedLevel: caller.headerLevel ?? null, addr: caller.addr, body,
      });
      headers = { ...admission.headers, ...headers };
      const upstream = this.deps.router.moderation();
      if (upstream) {
        const t0 = performance.now();
        const res = await upstream.call({ endpoint: 'moderations', body, signal: ctx.signal, requestId: ctx.requestId });
        exchange.upstreamMs = performance.now() - t0;
        exchange.status = res.status;
        if (res.kind !== 'json') throw new GatewayError('UPSTREAM_ERROR', { message: 'The upstream answered the moderation request with a stream.' });
        if (res.status === 401 || res.status === 403) throw new GatewayError('UPSTREAM_ERROR', { message: 'The upstream provider refused the gateway credentials.' });
        if (res.status >= 400) exchange.fail(`upstream_${res.status}`, res.status);
        return { type: 'json', status: res.status, body: res.body, headers };
      }
      const local = this.deps.local;
      if (!local) throw new GatewayError('NO_UPSTREAM', { message: 'No moderation provider is configured and the local moderation model is not available.', param: 'model' });
      const texts = toTexts(body.input);
      const results = await local.moderate(texts);
      exchange.model = local.model;
      if (results.some((r) => r.flagged)) exchange.outcome = 'flag';
      return { type: 'json', status: 200, headers, body: { id: newId('modr-sg'), model: local.model, results } };
    } catch (err) {
      const e = err instanceof GatewayError ? err : null;
      exchange.fail(e?.toBody().error.code ?? 'internal_error', e?.status ?? 500);
      throw err;
    } finally {
      exchange.finish();
    }
  }
}

/** Moderation input → texts. A multimodal array is one combined input, as OpenAI scores it. */
export function toTexts(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  if (input.every((x) => typeof x === 'string')) return input as string[];
  const text = (input as Json[]).filter((p) => p.type === 'text' && typeof p.text === 'string').map((p) => p.text as string).join('\n');
  return [text];
}
