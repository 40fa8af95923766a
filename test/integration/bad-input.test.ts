/**
 * Malformed, oversized and hostile requests get a specific OpenAI-format
 * error; nothing crashes, and a client leaving mid-stream aborts the provider
 * request while the audit record is still written.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';

let upstream: MockUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startMockUpstream({ answer: () => 'x'.repeat(4000), chunkSize: 20, delayMs: 5 });
  gw = await startGateway({ upstreams: { main: { baseUrl: upstream.url } }, server: { bodyLimit: 64 * 1024 } });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await request(gw.url + path, { method: 'POST', body, headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as { error: { message: string; type: string; code: string; param: string | null } } };
}

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"model": "gpt-test", "messages": [', {}, 400, 'invalid_json', null],
    ['empty body', '', {}, 400, 'invalid_json', null],
    ['a JSON array', '[1,2]', {}, 400, 'invalid_request', null],
    ['missing messages', '{"model":"gpt-test"}', {}, 400, 'invalid_request', 'messages'],
    ['missing model', '{"messages":[{"role":"user","content":"hi"}]}', {}, 400, 'invalid_request', 'model'],
    ['mistyped messages', '{"model":"gpt-test","messages":"hi"}', {}, 400, 'invalid_request', 'messages'],
    ['bad role', '{"model":"gpt-test","messages":[{"role":"wizard","content":"hi"}]}', {}, 400, 'invalid_request', 'messages[0].role'],
    ['n too large', '{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"n":1000}', {}, 400, 'invalid_request', 'n'],
    ['wrong content type', 'model=gpt-test', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type', null],
  ] as const)('%s → %i %s', async (_name, body, headers, status, code, param) => {
    const res = await post('/chat/completions', body, headers);
    expect(res.status).toBe(status);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.param).toBe(param);
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['x-should-retry']).toBe('false');
  });

  it('refuses invalid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model":"gpt-test","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    const res = await post('/chat/completions', bytes);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_encoding');
  });

  it('refuses a body over the limit with 413, by header and while streaming in', async () => {
    const big = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'a'.repeat(100 * 1024) }] });
    const res = await post('/chat/completions', big);
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('request_too_large');
    const chunked = await request(gw.url + '/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: Readable.from((function* () { for (let i = 0; i < 20; i++) yield Buffer.alloc(8 * 1024, 0x61); })()),
    });
    expect(chunked.statusCode).toBe(413);
    await chunked.body.dump();
  });

  it('does not echo hostile content in errors', async () => {
    const res = await post('/chat/completions', '{"model":"gpt-test","messages":[{"role":"<script>alert(1)</script>","content":"x"}]}');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).not.toContain('<script>');
  });

  it('answers unknown routes and wrong methods in the OpenAI error shape', async () => {
    const notFound = await request(gw.url + '/nope', { headers: { authorization: `Bearer ${gw.key}` } });
    expect(notFound.statusCode).toBe(404);
    expect(((await notFound.body.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const wrong = await request(gw.url + '/chat/completions', { method: 'GET', headers: { authorization: `Bearer ${gw.key}` } });
    expect(wrong.statusCode).toBe(405);
    await wrong.body.dump();
  });

  it('surfaces errors as typed SDK exceptions', async () => {
    const client = gw.client();
    await expect(client.chat.completions.create({ model: 'gpt-test', messages: [] as never })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('client disconnect mid-stream', () => {
  it('aborts the upstream request and still writes the audit record', async () => {
    const before = upstream.aborted;
    const controller = new AbortController();
    const res = await fetch(gw.url + '/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      signal: controller.signal,
    });
    const requestId = res.headers.get('x-request-id')!;
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => upstream.aborted, { timeout: 5000 }).toBeGreaterThan(before);
    await expect.poll(async () => {
      await gw.flushAudit();
      return (await gw.gateway.store.audit.get(requestId))?.errorCode;
    }, { timeout: 5000 }).toBe('client_disconnected');
    const record = await gw.gateway.store.audit.get(requestId);
    expect(record!.stream).toBe(true);
  });
});
