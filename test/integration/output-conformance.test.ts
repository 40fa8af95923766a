/**
 * Conformance: every output check in the registry runs on Chat Completions and
 * Responses, streamed and not — none is ever skipped — and a block or a
 * redaction never lets the offending text reach the client.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checks } from '../../src/checks/index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';

const outputChecks = checks.filter((c) => c.stage !== 'input').map((c) => c.id);
const FORBIDDEN = 'zanzibarquux';
const fakeKey = () => 'sk-proj-' + 'Ab1Cd2Ef3Gh4'.repeat(6) + 'T3BlbkFJ' + 'Zy9Xw8Vu7Ts6'.repeat(6);

let upstream: MockUpstream;
let gw: TestGateway;
let answer = 'A calm and ordinary answer about gardening and tomatoes. '.repeat(12);

beforeAll(async () => {
  upstream = await startMockUpstream({ answer: () => answer, chunkSize: 3 });
  gw = await startGateway({
    upstreams: { main: { baseUrl: upstream.url } },
    policies: {
      // Each output check alone, with its defaults, so the audit shows that it ran.
      ...Object.fromEntries(outputChecks.map((id) => [`only-${id}`, { output: { [id]: { mode: 'enforce', onError: 'fail-open', config: {} } } }])),
      guarded: {
        extends: 'builtin',
        input: { injection: null, moderation: null },
        output: { 'deny-list': { config: { words: [FORBIDDEN], action: 'block' } }, moderation: null },
        streaming: { holdBackChars: 64, overlapChars: 32 },
      },
      refusing: { extends: 'guarded', blocking: { mode: 'refusal', refusalMessage: 'Sorry, no.' } },
    },
  });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

async function keyFor(policy: string): Promise<OpenAI> {
  const created = await gw.gateway.keys.create({ name: policy, policy });
  return gw.client({ apiKey: created.key });
}

type Mode = 'chat' | 'chat-stream' | 'responses' | 'responses-stream';
const MODES: Mode[] = ['chat', 'chat-stream', 'responses', 'responses-stream'];

/** Sends one request in `mode`; returns the text the client saw, how it ended and the request id. */
async function run(client: OpenAI, mode: Mode): Promise<{ text: string; end: string; requestId: string }> {
  const messages = [{ role: 'user' as const, content: 'Tell me about tomatoes.' }];
  if (mode === 'chat') {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-test', messages }).withResponse();
    return { text: data.choices[0]!.message.content ?? '', end: data.choices[0]!.finish_reason, requestId: response.headers.get('x-request-id')! };
  }
  if (mode === 'chat-stream') {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-test', messages, stream: true }).withResponse();
    let text = '';
    let end = '';
    for await (const chunk of data) {
      text += chunk.choices[0]?.delta.content ?? '';
      end = chunk.choices[0]?.finish_reason ?? end;
    }
    return { text, end, requestId: response.headers.get('x-request-id')! };
  }
  if (mode === 'responses') {
    const { data, response } = await client.responses.create({ model: 'gpt-test', input: 'Tell me about tomatoes.' }).withResponse();
    return { text: data.output_text, end: data.status ?? '', requestId: response.headers.get('x-request-id')! };
  }
  const { data, response } = await client.responses.create({ model: 'gpt-test', input: 'Tell me about tomatoes.', stream: true }).withResponse();
  let text = '';
  let end = '';
  for await (const event of data) {
    if (event.type === 'response.output_text.delta') text += event.delta;
    if (event.type === 'response.completed' || event.type === 'response.incomplete' || event.type === 'response.failed') end = event.response.status ?? '';
  }
  return { text, end, requestId: response.headers.get('x-request-id')! };
}

describe('every output check runs on every endpoint and mode', () => {
  it('has output checks to test', () => {
    expect(outputChecks.length).toBeGreaterThanOrEqual(4);
  });

  for (const id of outputChecks) {
    it.each(MODES)(`${id} runs on %s`, async (mode) => {
      answer = 'A calm and ordinary answer about gardening and tomatoes. '.repeat(12);
      const client = await keyFor(`only-${id}`);
      const { requestId, response } = await (async () => {
        const r = await run(client, mode);
        return { requestId: r.requestId, response: r };
      })();
      expect(response.text.length).toBeGreaterThan(0);
      await gw.flushAudit();
      const record = await gw.gateway.store.audit.get(requestId);
      const ran = record!.checks.filter((c) => c.stage === 'output' && c.checkId === id);
      expect(ran.length, `${id} did not run on ${mode}`).toBe(1);
    });
  }
});

describe('blocked output never reaches the client', () => {
  it.each(MODES)('error mode, %s', async (mode) => {
    answer = 'Here is a long and friendly answer that goes on for a while. '.repeat(4) + `then the word ${FORBIDDEN} appears ` + 'and more text follows. '.repeat(10);
    const client = await keyFor('guarded');
    if (mode === 'chat' || mode === 'responses') {
      const err = (await run(client, mode).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.code).toBe('content_policy_violation');
      expect(err.message).toContain('deny-list');
      expect(err.message).not.toContain(FORBIDDEN);
      return;
    }
    // Pieces arrive one by one (a burst that has all arrived is checked at once, before anything is released).
    upstream.script.delayMs = 1;
    try {
      const { text, end } = await run(client, mode);
      expect(text).not.toContain(FORBIDDEN.slice(0, 4));
      expect(answer.startsWith(text)).toBe(true);
      expect(text.length).toBeGreaterThan(0);
      expect(end).toBe(mode === 'chat-stream' ? 'content_filter' : 'incomplete');
    } finally {
      delete upstream.script.delayMs;
    }
  });

  it.each(MODES)('refusal mode, %s', async (mode) => {
    answer = `Short answer with ${FORBIDDEN} inside. ` + 'padding '.repeat(40);
    const client = await keyFor('refusing');
    const { text, end } = await run(client, mode);
    expect(text).not.toContain(FORBIDDEN);
    expect(text).toContain('Sorry, no.');
    expect(end).toBe(mode.startsWith('chat') ? 'content_filter' : 'incomplete');
  });

  it('ends a blocked chat stream with content_filter then [DONE], and aborts the provider', async () => {
    answer = 'text '.repeat(50) + FORBIDDEN + ' more'.repeat(400);
    upstream.script.delayMs = 2;
    try {
      const created = await gw.gateway.keys.create({ name: 'raw', policy: 'guarded' });
      const res = await fetch(gw.url + '/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      });
      const raw = await res.text();
      const events = raw.split('\n\n').filter(Boolean);
      expect(events.at(-1)).toBe('data: [DONE]');
      expect(JSON.parse(events.at(-2)!.slice(6)).choices[0].finish_reason).toBe('content_filter');
      expect(raw).not.toContain(FORBIDDEN.slice(0, 5));
      await expect.poll(() => upstream.aborted, { timeout: 5000 }).toBeGreaterThan(0);
    } finally {
      delete upstream.script.delayMs;
    }
  });
});

describe('redacted output never reaches the client', () => {
  it.each(MODES)('a provider key in the answer is redacted, %s', async (mode) => {
    const key = fakeKey();
    answer = `Sure. Use this key: ${key} and keep it safe. ` + 'More words here. '.repeat(10);
    const client = await keyFor('guarded');
    const { text } = await run(client, mode);
    expect(text).not.toContain(key.slice(0, 20));
    expect(text).not.toContain(key.slice(-20));
    expect(text).toContain('keep it safe');
  });
});
