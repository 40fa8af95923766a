/**
 * The error catalogue: every error a client can see, with its HTTP status,
 * OpenAI error `type` and `code`. `docs/errors.md` is generated from this list
 * (`npm run docs:errors`) and a test keeps the two in sync.
 *
 * Statuses are chosen with the openai SDK's retry rules in mind: it retries
 * 408, 409, 429 and >= 500, so a policy refusal is never one of those.
 */
export interface ErrorSpec {
  status: number;
  type: 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'server_error' | 'api_error';
  /** the `code` string clients see */
  code: string;
  /** default message; never includes request content */
  message: string;
  /** whether the SDK may retry (sent as x-should-retry) */
  retry?: boolean;
}

export const ERROR_CODES = {
  INVALID_JSON: { status: 400, type: 'invalid_request_error', code: 'invalid_json', message: 'The request body is not valid JSON.' },
  INVALID_UTF8: { status: 400, type: 'invalid_request_error', code: 'invalid_encoding', message: 'The request body is not valid UTF-8.' },
  INVALID_REQUEST: { status: 400, type: 'invalid_request_error', code: 'invalid_request', message: 'The request is not valid.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'invalid_request_error', code: 'unsupported_media_type', message: 'The request body must be application/json.' },
  BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', code: 'request_too_large', message: 'The request body is larger than this gateway accepts.' },
  INPUT_LIMIT_EXCEEDED: { status: 400, type: 'invalid_request_error', code: 'input_limit_exceeded', message: 'The input is larger than the policy allows.' },
  MODEL_NOT_ALLOWED: { status: 400, type: 'invalid_request_error', code: 'model_not_allowed', message: 'This model is not allowed by the policy.' },
  CONTENT_BLOCKED: { status: 400, type: 'invalid_request_error', code: 'content_policy_violation', message: 'The request was blocked by the safety policy.' },
  MISSING_API_KEY: { status: 401, type: 'authentication_error', code: 'missing_api_key', message: 'No gateway key was provided. Send Authorization: Bearer sg_...' },
  INVALID_API_KEY: { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'The gateway key is not valid.' },
  REVOKED_API_KEY: { status: 401, type: 'authentication_error', code: 'revoked_api_key', message: 'The gateway key has been revoked.' },
  EXPIRED_API_KEY: { status: 401, type: 'authentication_error', code: 'expired_api_key', message: 'The gateway key has expired.' },
  PERMISSION_DENIED: { status: 403, type: 'permission_error', code: 'permission_denied', message: 'This key may not do that.' },
  USER_SUSPENDED: { status: 403, type: 'permission_error', code: 'user_suspended', message: 'This user is suspended.' },
  NOT_FOUND: { status: 404, type: 'not_found_error', code: 'not_found', message: 'No such route.' },
  SESSION_REQUIRED: { status: 401, type: 'authentication_error', code: 'session_required', message: 'Sign in first: this route needs a session cookie.' },
  CROSS_SITE_REQUEST: { status: 403, type: 'permission_error', code: 'cross_site_request', message: 'The request came from a page of an untrusted origin.' },
  ADMIN_REQUIRED: { status: 403, type: 'permission_error', code: 'admin_required', message: 'This route is for administrators.' },
  KEY_LIMIT_REACHED: { status: 403, type: 'permission_error', code: 'key_limit_reached', message: 'Your verification level allows no more keys. Revoke one, or raise your level.' },
  LAST_ADMIN: { status: 400, type: 'invalid_request_error', code: 'last_admin', message: 'This is the last administrator; make another one first.' },
  ACCOUNT_NOT_FOUND: { status: 404, type: 'not_found_error', code: 'account_not_found', message: 'No such account.' },
  WEBHOOK_NOT_CONFIGURED: { status: 404, type: 'not_found_error', code: 'webhook_not_configured', message: 'No secret is configured for this webhook.' },
  WEBHOOK_SIGNATURE_INVALID: { status: 400, type: 'invalid_request_error', code: 'webhook_signature_invalid', message: 'The Safegate-Signature header is missing, malformed or does not match the body.' },
  WEBHOOK_TIMESTAMP_STALE: { status: 400, type: 'invalid_request_error', code: 'webhook_timestamp_stale', message: 'The signature timestamp is outside the accepted tolerance.' },
  WEBHOOK_REPLAYED: { status: 400, type: 'invalid_request_error', code: 'webhook_replayed', message: 'This event id was already received.' },
  METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', code: 'method_not_allowed', message: 'Method not allowed on this route.' },
  RATE_LIMITED: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Rate limit reached. Retry after the delay in the Retry-After header.', retry: true },
  QUOTA_EXCEEDED: { status: 429, type: 'rate_limit_error', code: 'quota_exceeded', message: 'The token quota for this period is used up.', retry: false },
  ACCESS_UNAVAILABLE: { status: 503, type: 'server_error', code: 'access_control_unavailable', message: 'Rate limits and quotas could not be checked, and the gateway fails closed.', retry: true },
  CHECK_FAILED: { status: 503, type: 'server_error', code: 'safety_check_unavailable', message: 'A safety check could not run, and the policy fails closed.', retry: true },
  UPSTREAM_ERROR: { status: 502, type: 'server_error', code: 'upstream_error', message: 'The upstream model provider returned an invalid response.' },
  UPSTREAM_UNAVAILABLE: { status: 503, type: 'server_error', code: 'upstream_unavailable', message: 'The upstream model provider could not be reached.', retry: true },
  UPSTREAM_TIMEOUT: { status: 504, type: 'server_error', code: 'upstream_timeout', message: 'The upstream model provider did not answer in time.', retry: true },
  NO_UPSTREAM: { status: 404, type: 'invalid_request_error', code: 'model_not_found', message: 'No configured upstream serves this model.' },
  INTERNAL: { status: 500, type: 'server_error', code: 'internal_error', message: 'Internal error. The request id identifies it in the gateway logs.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
