/** Provider failures: bounded retries honouring Retry-After, OpenAI-shaped errors, no credential confusion. */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';

let upstream: MockUpstream;
let gw: TestGateway;
const ask = (stream = false) => gw.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `hi ${Math.random()}` }], ...(stream ? { stream: true } : {}) } as never);

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ upstreams: { main: { baseUrl: upstream.url, maxRetries: 2, maxRetryDelay: 2000 } } });
});
afterEach(() => {
  delete upstream.script.error;
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

describe('upstream errors', () => {
  it('retries a 429 after its Retry-After and then succeeds', async () => {
    upstream.script.error = (_b, attempt) => (attempt === 1 ? { status: 429, body: { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }, headers: { 'retry-after-ms': '50' } } : null);
    const before = upstream.requests.length;
    const res = (await ask()) as OpenAI.ChatCompletion;
    expect(res.choices[0]!.message.content).toBe('ok');
    expect(upstream.requests.length - before).toBe(2);
  });

  it('gives up after the bounded retries and passes the provider error back in OpenAI shape', async () => {
    upstream.script.error = () => ({ status: 503, body: { error: { message: 'overloaded', type: 'server_error', param: null, code: 'server_is_overloaded' } }, headers: { 'retry-after': '0' } });
    const before = upstream.requests.length;
    const err = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('server_is_overloaded');
    expect(upstream.requests.length - before).toBe(3);
  });

  it('does not wait for a Retry-After longer than allowed', async () => {
    upstream.script.error = () => ({ status: 429, body: { error: { message: 'later', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }, headers: { 'retry-after': '3600' } });
    const before = upstream.requests.length;
    const err = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(429);
    expect(upstream.requests.length - before).toBe(1);
  });

  it('passes a 400 straight through without retrying', async () => {
    upstream.script.error = () => ({ status: 400, body: { error: { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: null } } });
    const err = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('temperature');
  });

  it('turns a provider 401 (Safegate’s own key) into a 502, not an auth error for the caller', async () => {
    upstream.script.error = () => ({ status: 401, body: { error: { message: 'Incorrect API key provided: sk-abc', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
    const err = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(502);
    expect(err.message).not.toContain('sk-abc');
  });

  it('wraps a non-JSON provider error', async () => {
    upstream.script.error = () => ({ status: 500, body: '<html>oops</html>' });
    const err = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(500);
    expect(err.message).not.toContain('<html>');
  });

  it('reports an unreachable provider as 503 upstream_unavailable', async () => {
    const dead = await startGateway({ upstreams: { main: { baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 1 } } });
    try {
      const err = (await dead.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(503);
      expect(err.code).toBe('upstream_unavailable');
    } finally {
      await dead.close();
    }
  });

  it('ends a stream whose provider connection breaks with an explicit error event', async () => {
    upstream.script.breakAfter = 2;
    upstream.script.answer = () => 'abcdefgh'.repeat(200);
    try {
      const stream = (await ask(true)) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>;
      const err = await (async () => {
        for await (const _ of stream) { /* drain */ }
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as Error).message).toContain('upstream connection failed');
    } finally {
      delete upstream.script.breakAfter;
      delete upstream.script.answer;
    }
  });
});
