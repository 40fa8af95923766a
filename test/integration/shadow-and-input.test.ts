/** Input-side blocking, shadow mode and per-key policies. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';

let upstream: MockUpstream;
let gw: TestGateway;
const fakeKey = () => 'sk-proj-' + 'Qw3Er4Ty5Ui6'.repeat(6) + 'T3BlbkFJ' + 'Op7As8Df9Gh0'.repeat(6);

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    upstreams: { main: { baseUrl: upstream.url } },
    policies: {
      'shadow-secrets': { input: { secrets: { mode: 'shadow', config: { action: 'block' } } } },
      refusal: { extends: 'builtin', blocking: { mode: 'refusal', refusalMessage: 'Not here.' } },
      tight: { extends: 'builtin', input: { 'output-ceiling': { config: { maxOutputTokens: 100 } } } },
    },
  });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

async function clientFor(policy?: string): Promise<OpenAI> {
  if (!policy) return gw.client();
  const created = await gw.gateway.keys.create({ name: policy, policy });
  return gw.client({ apiKey: created.key });
}

describe('input checks', () => {
  it('blocks a provider key in the prompt with a 400 that names the check and never echoes the key', async () => {
    const key = fakeKey();
    const before = upstream.requests.length;
    const err = (await (await clientFor()).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `my key is ${key}` }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('content_policy_violation');
    expect(err.message).toContain('secrets');
    expect(JSON.stringify(err.error)).not.toContain(key.slice(8, 30));
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(upstream.requests.length).toBe(before);
  });

  it('answers with a refusal (finish_reason content_filter) in refusal mode, streamed and not', async () => {
    const client = await clientFor('refusal');
    const content = `key ${fakeKey()}`;
    const res = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content }] });
    expect(res.choices[0]).toMatchObject({ finish_reason: 'content_filter', message: { content: 'Not here.' } });
    const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content }], stream: true });
    let text = '';
    let finish = '';
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect([text, finish]).toEqual(['Not here.', 'content_filter']);
    const r = await client.responses.create({ model: 'gpt-test', input: content });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details?.reason).toBe('content_filter');
  });

  it('redacts PII in the prompt before it goes upstream', async () => {
    await (await clientFor()).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'charge card 4111 1111 1111 1111 please' }] });
    const sent = upstream.requests.at(-1)!.raw;
    expect(sent).not.toContain('4111 1111 1111 1111');
    expect(sent).toContain('[CREDIT_CARD]');
  });

  it('strips invisible characters before the prompt goes upstream', async () => {
    await (await clientFor()).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hel\u200blo wor\u202eld' }] });
    const body = upstream.requests.at(-1)!.body as { messages: Array<{ content: string }> };
    expect(body.messages[0]!.content).toBe('hello world');
  });

  it('clamps and sets the output-token ceiling', async () => {
    const client = await clientFor('tight');
    await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5000 });
    expect(upstream.requests.at(-1)!.body.max_tokens).toBe(100);
    await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests.at(-1)!.body.max_completion_tokens).toBe(100);
    await client.responses.create({ model: 'gpt-test', input: 'hi' });
    expect(upstream.requests.at(-1)!.body.max_output_tokens).toBe(100);
  });
});

describe('shadow mode', () => {
  it('lets the request through and records what the check would have done', async () => {
    const client = await clientFor('shadow-secrets');
    const { response } = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `key ${fakeKey()}` }] }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-safegate-checks')).toContain('input:secrets(shadow)');
    await gw.flushAudit();
    const record = await gw.gateway.store.audit.get(response.headers.get('x-request-id')!);
    expect(record!.outcome).toBe('allow');
    expect(record!.checks.find((c) => c.checkId === 'secrets')).toMatchObject({ shadow: true, decision: 'block' });
  });
});
