/**
 * The HTTP surface: OpenAI-compatible `/v1` routes, health and metrics. Routes
 * parse and validate, call a service and map its reply; every error leaves in
 * OpenAI's error shape with an `x-request-id`.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/auth/accounts-service.js';
import type { Config } from '../config/schema.js';
import { GatewayError, toGatewayError } from '../errors/gateway-error.js';
import type { Metrics } from '../observability/metrics.js';
import type { AuditSink } from '../services/exchange.js';
import type { ModerationService } from '../services/moderation.js';
import type { GenerationEndpoint, ProxyService, Reply } from '../services/proxy.js';
import type { UpstreamRouter } from '../upstream/router.js';
import { compileKeyScopes } from '../accounts/key-scopes.js';
import type { ApiKeyRecord } from '../storage/types.js';
import { createAdminRoutes, type AdminRoutesDeps } from './admin/routes.js';
import { createAuthRoutes } from './auth/routes.js';
import { readJsonBody } from './body.js';
import { authenticate, type KeyVerifier } from './middleware/auth.js';
import { sseResponse } from './sse.js';
import type { ServerResponse } from 'node:http';
import { chatRequestSchema, moderationRequestSchema, responsesRequestSchema, validate } from './v1/schemas.js';

export interface ServerDeps {
  config: Config;
  proxy: ProxyService;
  moderation: ModerationService;
  keys: KeyVerifier;
  router: UpstreamRouter;
  metrics: Metrics;
  logger: Logger;
  sink: AuditSink;
  version: string;
  /** readiness details for /healthz (storage reachable, models loaded, ...) */
  health?: () => Promise<Record<string, unknown>>;
  /** end-user accounts: serves /auth and /admin when present */
  accounts?: Accounts | null;
  /** operator tasks served under /admin (keys, abuse notices, upstream keys) */
  operations?: AdminRoutesDeps['operations'];
}

type Env = { Variables: { requestId: string } };

function clientAddr(c: Context, trustProxy: boolean): string | null {
  if (trustProxy) {
    // The last entry is the one our own proxy appended; earlier entries come from the client and can be forged.
    const forwarded = c.req.header('x-forwarded-for');
    if (forwarded) return forwarded.split(',').at(-1)!.trim() || null;
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

/** Node's IncomingMessage when served by @hono/node-server (absent under other runtimes and in app.request()). */
function nodeRequest(c: Context): (AsyncIterable<Buffer> & { readableEnded?: boolean }) | undefined {
  return (c.env as { incoming?: AsyncIterable<Buffer> & { readableEnded?: boolean } } | undefined)?.incoming;
}

function toResponse(reply: Reply, c: Context): Response {
  if (reply.type === 'json') {
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { ...reply.headers, 'content-type': 'application/json' } });
  }
  return sseResponse(reply.events, reply.headers, (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing);
}

export function createServerApp(deps: ServerDeps): Hono<Env> {
  const { config, logger } = deps;
  const app = new Hono<Env>();

  // Handlers set x-request-id on their own responses: touching headers after next() would take Hono off its fast response path.
  app.use('*', async (c, next) => {
    c.set('requestId', `req_${randomUUID().replaceAll('-', '')}`);
    await next();
  });

  app.onError((err, c) => {
    const e = toGatewayError(err);
    const requestId = c.get('requestId') ?? 'unknown';
    if (e.code === 'INTERNAL') logger.error({ requestId, err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) }, 'internal error');
    // A refused upload may still be arriving; closing the connection keeps the next request on it from being misread.
    const close: Record<string, string> = e.code === 'BODY_TOO_LARGE' ? { connection: 'close' } : {};
    return c.json(e.toBody(), e.status as 400, { ...e.responseHeaders(), ...close, 'x-request-id': requestId });
  });

  app.notFound((c) => {
    const e = new GatewayError('NOT_FOUND', { message: `No route ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}.` });
    return c.json(e.toBody(), 404, { 'x-request-id': c.get('requestId') });
  });

  /** Audit record for requests refused before the proxy service took them (auth, body, validation). */
  const recordRefusal = (c: Context<Env>, endpoint: string, err: unknown, keyId: string | null, started: number) => {
    const e = toGatewayError(err);
    deps.metrics.requests.inc({ endpoint, status: `${Math.floor(e.status / 100)}xx`, outcome: 'error' });
    deps.sink.write({
      requestId: c.get('requestId'), time: started, keyId, safetyId: null, endpoint, model: null, policy: null,
      status: e.status, outcome: 'error', blockedBy: null, checks: [], promptTokens: null, completionTokens: null,
      latencyMs: Date.now() - started, upstreamLatencyMs: null, stream: false, errorCode: e.toBody().error.code, content: null, contentExpiresAt: null,
    });
  };

  const generation = (endpoint: GenerationEndpoint) => async (c: Context<Env>) => {
    const started = Date.now();
    const addr = clientAddr(c, config.server.trustProxy);
    let keyId: string | null = null;
    let body: Record<string, unknown>;
    let caller;
    try {
      const auth = await authenticate(c, deps.keys, config.auth.required, addr);
      keyId = auth.key?.id ?? null;
      body = await readJsonBody(c.req.raw, config.server.bodyLimit, nodeRequest(c));
      validate(endpoint === 'chat.completions' ? chatRequestSchema : responsesRequestSchema, body);
      caller = {
        keyId,
        policy: auth.key?.policy ?? null,
        addr,
        authenticated: auth.key !== null,
        // A self-service key acts only as the account that owns it, whatever user the request names.
        headerUser: auth.key?.owner ?? c.req.header('x-safegate-user'),
        sessionHeader: c.req.header('x-safegate-session'),
        headerLevel: c.req.header('x-safegate-user-level'),
        key: auth.key,
      };
    } catch (err) {
      recordRefusal(c, endpoint, err, keyId, started);
      throw err;
    }
    return toResponse(await deps.proxy.handle(endpoint, body, caller, c.get('requestId'), c.req.raw.signal), c);
  };

  app.post('/v1/chat/completions', generation('chat.completions'));
  app.post('/v1/responses', generation('responses'));

  app.post('/v1/moderations', async (c) => {
    const started = Date.now();
    const addr = clientAddr(c, config.server.trustProxy);
    let keyId: string | null = null;
    let keyRecord: ApiKeyRecord | null = null;
    let body: Record<string, unknown>;
    try {
      const auth = await authenticate(c, deps.keys, config.auth.required, addr);
      keyId = auth.key?.id ?? null;
      keyRecord = auth.key;
      body = await readJsonBody(c.req.raw, config.server.bodyLimit, nodeRequest(c));
      validate(moderationRequestSchema, body);
    } catch (err) {
      recordRefusal(c, 'moderations', err, keyId, started);
      throw err;
    }
    const reply = await deps.moderation.handle(body, {
      requestId: c.get('requestId'),
      signal: c.req.raw.signal,
      caller: {
        keyId,
        policy: null,
        addr,
        authenticated: keyId !== null,
        headerUser: c.req.header('x-safegate-user'),
        sessionHeader: c.req.header('x-safegate-session'),
        headerLevel: c.req.header('x-safegate-user-level'),
        key: null,
      },
      key: keyRecord,
    });
    return toResponse(reply, c);
  });

  app.get('/v1/models', async (c) => {
    const auth = await authenticate(c, deps.keys, config.auth.required, clientAddr(c, config.server.trustProxy));
    // A key scoped to some models sees only those.
    const allowed = auth.key ? compileKeyScopes(auth.key.scopes)?.models ?? null : null;
    const ids = (await deps.router.listModels()).filter((id) => !allowed || allowed.some((re) => re.test(id)));
    return c.json({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'safegate' })) }, 200, { 'x-request-id': c.get('requestId') });
  });

  if (deps.accounts) {
    const addrOf = (c: Context) => clientAddr(c, config.server.trustProxy);
    app.route('/auth', createAuthRoutes({ accounts: deps.accounts, clientAddr: addrOf }));
    app.route('/admin', createAdminRoutes({ accounts: deps.accounts, clientAddr: addrOf, ...(deps.operations ? { operations: deps.operations } : {}) }));
  }

  app.get('/healthz', async (c) => {
    const details = deps.health ? await deps.health().catch((err: Error) => ({ error: err.name })) : {};
    const ok = !('error' in details);
    return c.json({ status: ok ? 'ok' : 'degraded', version: deps.version, ...details }, ok ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    return c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType });
  });

  for (const path of ['/v1/chat/completions', '/v1/responses', '/v1/moderations']) {
    app.all(path, (c) => {
      const e = new GatewayError('METHOD_NOT_ALLOWED', { message: `Use POST for ${path}.` });
      return c.json(e.toBody(), 405, { allow: 'POST', 'x-request-id': c.get('requestId') });
    });
  }
  return app;
}
