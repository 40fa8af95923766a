/**
 * What the gateway needs from a model provider. Implemented by the HTTP client
 * for any OpenAI-compatible base URL and by the embedded validated-answers
 * responder (`articles/`).
 */

/** One server-sent event as received (or to be sent). `data` is the raw data line(s) joined by "\n". */
export interface SseEvent {
  event?: string;
  data: string;
  /**
   * A hint from the reader: another event has already arrived and is waiting.
   * The stream guard then gathers text into fewer, larger windows instead of
   * checking each small piece while more is ready. Never sent to a client.
   */
  more?: boolean;
}

export type UpstreamEndpoint = 'chat.completions' | 'responses' | 'moderations';

export interface UpstreamRequest {
  endpoint: UpstreamEndpoint;
  /** The body to send, already rewritten by the gateway (safety identifier, limits, redactions). */
  body: Record<string, unknown>;
  /** Aborted when the client disconnects or the gateway gives up. */
  signal: AbortSignal;
  /** Gateway request id, forwarded as X-Client-Request-Id. */
  requestId: string;
}

export type UpstreamResponse =
  /** A complete JSON answer, or an error answer (`status` >= 400, body in OpenAI's error shape when the provider sent one). */
  | { kind: 'json'; status: number; body: unknown; headers: Record<string, string> }
  /** A 2xx event stream. The iterator ends after the provider's last event; it throws if the connection breaks. */
  | { kind: 'stream'; status: number; events: AsyncIterable<SseEvent>; headers: Record<string, string> };

export interface Upstream {
  readonly name: string;
  /** True when this upstream answers any model name (the embedded responder as sole upstream). */
  readonly anyModel: boolean;
  /**
   * Sends the request. Non-2xx provider answers come back as `kind: 'json'`
   * with their status (after retries); transport failures throw a GatewayError
   * (UPSTREAM_UNAVAILABLE / UPSTREAM_TIMEOUT).
   */
  call(request: UpstreamRequest): Promise<UpstreamResponse>;
  /** Model ids this upstream serves, for GET /v1/models. */
  listModels(signal?: AbortSignal): Promise<string[]>;
  close?(): Promise<void>;
}
