/**
 * Wire compatibility with the official `openai` client: the responder's
 * answers are served through a fetch stand-in (JSON as-is, streams encoded
 * as SSE) and read back with the client's own parsers and stream wrappers.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { Upstream, UpstreamEndpoint } from '../types.js';
import { createArticlesUpstream } from './responder.js';

const QUESTION = 'how do I turn on two-factor authentication';

function clientFor(upstream: Upstream): OpenAI {
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const endpoint: UpstreamEndpoint = url.pathname.endsWith('/chat/completions') ? 'chat.completions' : url.pathname.endsWith('/responses') ? 'responses' : 'moderations';
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    const res = await upstream.call({ endpoint, body, signal: init?.signal ?? new AbortController().signal, requestId: 'req-sdk' });
    if (res.kind === 'json') return new Response(JSON.stringify(res.body), { status: res.status, headers: res.headers });
    const iterator = res.events[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) return controller.close();
        controller.enqueue(encoder.encode(`${value.event ? `event: ${value.event}\n` : ''}data: ${value.data}\n\n`));
      },
    });
    return new Response(stream, { status: res.status, headers: res.headers });
  };
  return new OpenAI({ apiKey: 'sg_test', baseURL: 'http://safegate.test/v1', maxRetries: 0, fetch });
}

const client = clientFor(createArticlesUpstream({ anyModel: true }));

describe('the openai client reads the responder', () => {
  it('chat.completions.create', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: QUESTION }] });
    expect(completion.choices[0]?.message.content).toMatch(/^From "Setting up two-factor authentication" \(two-factor-authentication\):/);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('chat.completions.stream → finalChatCompletion, with n = 2 and usage', async () => {
    const plain = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: QUESTION }] });
    const runner = client.chat.completions.stream({ model: 'm', n: 2, messages: [{ role: 'user', content: QUESTION }], stream_options: { include_usage: true } });
    const final = await runner.finalChatCompletion();
    expect(final.choices.map((c) => c.message.content)).toEqual([plain.choices[0]?.message.content, plain.choices[0]?.message.content]);
    expect(final.choices.map((c) => c.finish_reason)).toEqual(['stop', 'stop']);
    expect(final.usage?.completion_tokens).toBe(2 * (plain.usage?.completion_tokens ?? 0));
  });

  it('chat.completions.create with stream: true', async () => {
    const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'tell me a joke' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toMatch(/^I can't help with that here\. To reach a person/);
  });

  it('responses.create and its output_text', async () => {
    const response = await client.responses.create({ model: 'gpt-4.1', input: QUESTION, instructions: 'Answer from the help centre.' });
    expect(response.status).toBe('completed');
    expect(response.output_text).toMatch(/^From "Setting up two-factor authentication"/);
    expect(response.instructions).toBe('Answer from the help centre.');
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('responses.stream → finalResponse, and raw stream events', async () => {
    const plain = await client.responses.create({ model: 'm', input: QUESTION });
    const final = await client.responses.stream({ model: 'm', input: QUESTION }).finalResponse();
    expect(final.output_text).toBe(plain.output_text);

    const stream = await client.responses.create({ model: 'm', input: QUESTION, stream: true });
    let text = '';
    let last = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      last = event.type;
    }
    expect(text).toBe(plain.output_text);
    expect(last).toBe('response.completed');
  });

  it('moderations get a 404 the client raises as NotFoundError', async () => {
    await expect(client.moderations.create({ model: 'omni-moderation-latest', input: 'hello' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
