import { ERROR_CODES, type ErrorCode, type ErrorSpec } from './codes.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; [extra: string]: unknown };
}

/**
 * The one error type for failures a client should see. `message` must never
 * contain request content or secrets; `details` are added to the error object
 * (e.g. which check blocked and why).
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly param: string | null;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    options: { message?: string; param?: string | null; details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(options.message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.param = options.param ?? null;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): OpenAIErrorBody {
    const spec = ERROR_CODES[this.code];
    return { error: { message: this.message, type: spec.type, param: this.param, code: spec.code, ...this.details } };
  }

  /** Headers to send with the error, including the SDK retry hint. */
  responseHeaders(): Record<string, string> {
    const spec: ErrorSpec = ERROR_CODES[this.code];
    return { 'x-should-retry': spec.retry ? 'true' : 'false', ...this.headers };
  }
}

/** Turns anything thrown into a GatewayError; unknown errors become INTERNAL without leaking their message. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('INTERNAL', { cause: err });
}
