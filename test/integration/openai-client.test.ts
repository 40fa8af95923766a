/**
 * The official openai client, unchanged, against Safegate in front of a mock
 * provider: every endpoint, streamed and not, with the request the provider
 * actually received inspected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';

let upstream: MockUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startMockUpstream({ answer: (body) => `answer to ${String(body.model)}: the sky is blue because of Rayleigh scattering.` });
  gw = await startGateway({ upstreams: { main: { baseUrl: upstream.url, apiKey: 'upstream-secret-key' } } });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

describe('Chat Completions', () => {
  it('answers a non-streamed request and reports request id and checks', async () => {
    const { data, response } = await gw.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Why is the sky blue?' }] }).withResponse();
    expect(data.choices[0]!.message.content).toContain('Rayleigh');
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.headers.get('x-safegate-checks')).toContain('input:secrets');
    expect(response.headers.get('x-safegate-checks')).toContain('output:secrets');
  });

  it('streams with include_usage: deltas, a usage chunk, and the same text', async () => {
    const stream = await gw.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown = null;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('answer to gpt-test: the sky is blue because of Rayleigh scattering.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 10 });
  });

  it('streams without include_usage: no usage chunk reaches the client (but the audit gets tokens)', async () => {
    const stream = await gw.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(upstream.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
  });

  it('passes unknown request fields through untouched', async () => {
    await gw.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3, metadata: { a: 'b' }, x_custom_field: { nested: [1, 2] } } as never);
    const body = upstream.requests.at(-1)!.body;
    expect(body.x_custom_field).toEqual({ nested: [1, 2] });
    expect(body.temperature).toBe(0.3);
    expect(body.metadata).toEqual({ a: 'b' });
  });

  it('sends Safegate’s own provider key, never the caller’s', async () => {
    await gw.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    const req = upstream.requests.at(-1)!;
    expect(req.headers.authorization).toBe('Bearer upstream-secret-key');
    expect(req.raw).not.toContain(gw.key);
    expect(JSON.stringify(req.headers)).not.toContain(gw.key);
    expect(Object.keys(req.headers).some((h) => h.startsWith('x-stainless'))).toBe(false);
  });
});

describe('safety identifiers', () => {
  it('replaces the raw user id with an HMAC; no email reaches the provider', async () => {
    const email = 'alice.smith@example.com';
    await gw.client({ defaultHeaders: { 'X-Safegate-User': email } }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], user: email });
    const req = upstream.requests.at(-1)!;
    expect(req.body.user).toBeUndefined();
    expect(req.body.safety_identifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(req.raw).not.toContain('alice');
    expect(JSON.stringify(req.headers)).not.toContain('alice');
  });

  it('is stable per user and differs between users; Responses carries it too', async () => {
    const send = async (user: string) => {
      await gw.client().responses.create({ model: 'gpt-test', input: 'hi', safety_identifier: user });
      return upstream.requests.at(-1)!.body.safety_identifier;
    };
    const a1 = await send('user-a');
    const a2 = await send('user-a');
    const b = await send('user-b');
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b);
    expect(a1).not.toBe('user-a');
  });

  it('gives anonymous callers a session identifier', async () => {
    await gw.client({ defaultHeaders: { 'X-Safegate-Session': 'sess-1' } }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    const first = upstream.requests.at(-1)!.body.safety_identifier;
    await gw.client({ defaultHeaders: { 'X-Safegate-Session': 'sess-2' } }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(upstream.requests.at(-1)!.body.safety_identifier).not.toBe(first);
  });
});

describe('Responses', () => {
  it('answers a non-streamed request', async () => {
    const res = await gw.client().responses.create({ model: 'gpt-test', input: 'Why is the sky blue?', instructions: 'Be brief.' });
    expect(res.output_text).toContain('Rayleigh');
    expect(res.status).toBe('completed');
  });

  it('streams events in order with increasing sequence numbers', async () => {
    const stream = await gw.client().responses.create({ model: 'gpt-test', input: 'hi', stream: true });
    const types: string[] = [];
    const seqs: number[] = [];
    let text = '';
    let final = '';
    for await (const event of stream) {
      types.push(event.type);
      seqs.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') final = event.response.output.flatMap((o) => (o.type === 'message' ? o.content : [])).map((c) => (c.type === 'output_text' ? c.text : '')).join('');
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(text).toBe('answer to gpt-test: the sky is blue because of Rayleigh scattering.');
    expect(final).toBe(text);
  });
});

describe('Moderations and models', () => {
  it('forwards moderations to the configured provider', async () => {
    upstream.script.moderation = () => [{ flagged: true, categories: { violence: true }, category_scores: { violence: 0.9 }, category_applied_input_types: { violence: ['text'] } }];
    const res = await gw.client().moderations.create({ model: 'omni-moderation-latest', input: 'some text' });
    expect(res.results[0]!.flagged).toBe(true);
    expect(upstream.requests.at(-1)!.path).toBe('/v1/moderations');
    delete upstream.script.moderation;
  });

  it('lists models from the provider and the embedded responder', async () => {
    const list = await gw.client().models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-test', 'safegate-articles']));
  });
});

describe('audit and observability', () => {
  it('writes one audit record per request with verdicts, tokens and latency, and no raw ids', async () => {
    const { response } = await gw.client({ defaultHeaders: { 'X-Safegate-User': 'bob@example.com' } }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    const id = response.headers.get('x-request-id')!;
    await gw.flushAudit();
    const record = await gw.gateway.store.audit.get(id);
    expect(record).toMatchObject({ requestId: id, keyId: gw.keyId, endpoint: 'chat.completions', model: 'gpt-test', policy: 'default', status: 200, outcome: 'allow', promptTokens: 10 });
    expect(record!.checks.map((c) => `${c.stage}:${c.checkId}`)).toEqual(expect.arrayContaining(['input:secrets', 'output:secrets']));
    expect(record!.safetyId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record!.content).toBeNull();
    expect(JSON.stringify(record)).not.toContain('bob@');
    expect(record!.latencyMs).toBeGreaterThan(0);
  });

  it('serves Prometheus metrics and health', async () => {
    const base = gw.url.replace(/\/v1$/, '');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('safegate_requests_total');
    expect(metrics).toContain('safegate_check_verdicts_total');
    expect(metrics).toContain('safegate_upstream_duration_seconds');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', storage: 'sqlite' });
  });

  it('never logs keys, raw user ids or prompt text', async () => {
    await gw.client({ defaultHeaders: { 'X-Safegate-User': 'carol@example.com' } }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'my distinctive prompt text' }] });
    const logs = gw.logs.join('');
    expect(logs).not.toContain(gw.key);
    expect(logs).not.toContain('carol@');
    expect(logs).not.toContain('distinctive prompt');
    expect(logs).not.toContain('upstream-secret-key');
  });
});
