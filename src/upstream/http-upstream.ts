/**
 * Client for any OpenAI-compatible provider (OpenAI, vLLM, Ollama, ...).
 *
 * Contract:
 * - Sends Safegate's own provider key; nothing from the caller's credentials or
 *   SDK telemetry headers is forwarded.
 * - Retries 429 and 5xx answers (and connection failures) up to `maxRetries`
 *   times, before any body is read, honouring `retry-after-ms` / `retry-after`
 *   up to `maxRetryDelay`; otherwise exponential backoff with jitter.
 * - A client abort (the request's signal) aborts the upstream request at once.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { SseReader } from './sse-reader.js';
import type { Upstream, UpstreamRequest, UpstreamResponse } from './types.js';

const PATHS = { 'chat.completions': '/chat/completions', responses: '/responses', moderations: '/moderations' } as const;
const RETRY_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);

export interface HttpUpstreamOptions {
  name: string;
  config: UpstreamConfig;
  /** injected for tests; defaults to a keep-alive agent per upstream */
  dispatcher?: Dispatcher;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Provider keys per request (stored, rotating keys). A lease is held until
   * the response is fully read, so a key being drained is not revoked under
   * a running request. When it yields null, `config.apiKey` is used.
   */
  keyProvider?: { acquire(): { key: string; release(): void } | null };
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Delay asked for by the provider, in ms, or undefined. */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, nowMs = Date.now()): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export class HttpUpstream implements Upstream {
  readonly name: string;
  readonly anyModel = true;
  private readonly config: UpstreamConfig;
  private readonly base: string;
  private readonly dispatcher: Dispatcher;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly keyProvider: HttpUpstreamOptions['keyProvider'];

  constructor(options: HttpUpstreamOptions) {
    this.name = options.name;
    this.config = options.config;
    this.base = options.config.baseUrl.replace(/\/+$/, '');
    this.dispatcher =
      options.dispatcher ??
      new Agent({ keepAliveTimeout: 30_000, connections: 256, headersTimeout: options.config.headersTimeout, bodyTimeout: options.config.timeout });
    this.sleep = options.sleep ?? defaultSleep;
    this.keyProvider = options.keyProvider;
  }

  private headers(requestId: string, stream: boolean, apiKey: string | undefined): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'user-agent': 'safegate',
      'x-client-request-id': requestId,
    };
    if (apiKey) h.authorization = `Bearer ${apiKey}`;
    return h;
  }

  async call(req: UpstreamRequest): Promise<UpstreamResponse> {
    const lease = this.keyProvider?.acquire() ?? null;
    let release = lease ? lease.release : () => undefined;
    try {
      const res = await this.send(req, lease?.key ?? this.config.apiKey);
      if (res.kind === 'json' || !lease) return res;
      // Streams hold the key until the body is read (or the reader stops); a timer bounds a stream never read.
      const done = release;
      release = () => undefined;
      const bound = setTimeout(done, this.config.timeout);
      bound.unref?.();
      (res.events as SseReader).onEnd(() => (clearTimeout(bound), done()));
      return res;
    } finally {
      release();
    }
  }

  private async send(req: UpstreamRequest, apiKey: string | undefined): Promise<UpstreamResponse> {
    const stream = req.body.stream === true;
    const payload = JSON.stringify(req.body);
    // Timeouts come from the dispatcher (headersTimeout, bodyTimeout): no per-request timer or combined signal on the hot path.
    const signal = req.signal;
    const url = this.base + PATHS[req.endpoint];
    for (let attempt = 0; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method: 'POST', headers: this.headers(req.requestId, stream, apiKey), body: payload, signal, dispatcher: this.dispatcher });
      } catch (err) {
        if (req.signal.aborted) throw err;
        const mapped = this.transportError(err, signal);
        if (attempt < this.config.maxRetries && mapped.code === 'UPSTREAM_UNAVAILABLE') {
          await this.sleep(this.backoff(attempt), signal);
          continue;
        }
        throw mapped;
      }
      const headers = flatHeaders(res.headers);
      if (res.statusCode >= 200 && res.statusCode < 300) {
        if (stream && (headers['content-type'] ?? '').includes('text/event-stream')) {
          return { kind: 'stream', status: res.statusCode, events: new SseReader(res.body), headers };
        }
        return { kind: 'json', status: res.statusCode, body: await this.readJson(res), headers };
      }
      if (attempt < this.config.maxRetries && RETRY_STATUSES.has(res.statusCode) && headers['x-should-retry'] !== 'false') {
        const asked = retryAfterMs(res.headers);
        if (asked === undefined || asked <= this.config.maxRetryDelay) {
          await res.body.dump().catch(() => undefined);
          await this.sleep(asked ?? this.backoff(attempt), signal);
          continue;
        }
      }
      return { kind: 'json', status: res.statusCode, body: await this.readJson(res, true), headers };
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min(500 * 2 ** attempt, 8000);
    return base * (1 - Math.random() * 0.25);
  }

  private async readJson(res: Dispatcher.ResponseData, isError = false): Promise<unknown> {
    const text = await res.body.text();
    try {
      return JSON.parse(text);
    } catch {
      if (isError) return { error: { message: 'The upstream returned a non-JSON error.', type: 'api_error', param: null, code: null } };
      throw new GatewayError('UPSTREAM_ERROR', { message: 'The upstream model provider returned a body that is not JSON.' });
    }
  }

  private transportError(err: unknown, _signal: AbortSignal): GatewayError {
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      return new GatewayError('UPSTREAM_TIMEOUT', { cause: err });
    }
    return new GatewayError('UPSTREAM_UNAVAILABLE', { cause: err });
  }

  async listModels(signal?: AbortSignal): Promise<string[]> {
    const lease = this.keyProvider?.acquire() ?? null;
    try {
      const res = await request(this.base + '/models', {
        method: 'GET',
        headers: this.headers('models', false, lease?.key ?? this.config.apiKey),
        signal: signal ?? AbortSignal.timeout(10_000),
        dispatcher: this.dispatcher,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return this.config.models;
      }
      const body = (await res.body.json()) as { data?: Array<{ id?: unknown }> };
      const ids = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
      return this.config.models.length ? ids.filter((id) => this.config.models.some((p) => matchModel(p, id))) : ids;
    } catch {
      return this.config.models;
    } finally {
      lease?.release();
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Exact name or a glob with `*` (e.g. `gpt-4o*`). */
export function matchModel(pattern: string, model: string): boolean {
  if (!pattern.includes('*')) return pattern === model;
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(model);
}
