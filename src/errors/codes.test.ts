import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './codes.js';
import { GatewayError, toGatewayError } from './gateway-error.js';
import { renderErrorsDoc } from './render-docs.js';

describe('error catalogue', () => {
  it('matches docs/errors.md (run npm run docs:errors after changing codes.ts)', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorsDoc());
  });

  it('uses unique snake_case codes and never a status the SDK retries for a refusal', () => {
    const codes = Object.values(ERROR_CODES).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, e] of Object.entries(ERROR_CODES)) {
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(e.code).toMatch(/^[a-z][a-z0-9_]*$/);
      if (e.status < 500 && e.status !== 429) expect([408, 409]).not.toContain(e.status);
    }
    expect(ERROR_CODES.CONTENT_BLOCKED.status).toBe(400);
  });

  it('renders the OpenAI error shape with details and retry hint', () => {
    const e = new GatewayError('CONTENT_BLOCKED', { details: { check: 'pii' } });
    expect(e.toBody()).toEqual({ error: { message: ERROR_CODES.CONTENT_BLOCKED.message, type: 'invalid_request_error', param: null, code: 'content_policy_violation', check: 'pii' } });
    expect(e.responseHeaders()['x-should-retry']).toBe('false');
  });

  it('hides the message of unknown errors', () => {
    const e = toGatewayError(new Error('db password is hunter2'));
    expect(e.code).toBe('INTERNAL');
    expect(JSON.stringify(e.toBody())).not.toContain('hunter2');
  });
});
