import { describe, expect, it } from 'vitest';
import type { SseEvent, UpstreamEndpoint, UpstreamResponse } from '../types.js';
import { countTokens } from './answer.js';
import { ARTICLES_MODEL, createArticlesUpstream } from './responder.js';

const upstream = createArticlesUpstream({ anyModel: true });
const FALLBACK = "I can't help with that here. To reach a person, contact support@example.com or use the in-app chat (Help → Contact us).";
const PASSWORD_QUESTION = "I can't sign in, I forgot my password";

function call(endpoint: UpstreamEndpoint, body: Record<string, unknown>, signal = new AbortController().signal, target = upstream): Promise<UpstreamResponse> {
  return target.call({ endpoint, body, signal, requestId: 'req-test' });
}

async function json(endpoint: UpstreamEndpoint, body: Record<string, unknown>): Promise<any> {
  const res = await call(endpoint, body);
  if (res.kind !== 'json') throw new Error('expected a JSON answer');
  expect(res.status).toBe(200);
  return res.body;
}

async function events(endpoint: UpstreamEndpoint, body: Record<string, unknown>): Promise<SseEvent[]> {
  const res = await call(endpoint, { ...body, stream: true });
  if (res.kind !== 'stream') throw new Error('expected a stream');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/event-stream');
  const out: SseEvent[] = [];
  for await (const e of res.events) out.push(e);
  return out;
}

const chatBody = (content: unknown, extra: Record<string, unknown> = {}) => ({ model: 'gpt-test', messages: [{ role: 'user', content }], ...extra });
const chunksOf = (evs: SseEvent[]) => evs.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));

describe('chat completions', () => {
  it('answers with the best article, named, with its source, in the chat.completion shape', async () => {
    const body = await json('chat.completions', chatBody(PASSWORD_QUESTION));
    const text: string = body.choices[0].message.content;
    expect(text.startsWith('From "Resetting your password" (reset-password):\n\n')).toBe(true);
    expect(text.endsWith('\n\nSource: https://help.example.com/articles/reset-password')).toBe(true);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-test',
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    });
    expect(body.id).toMatch(/^chatcmpl-[A-Za-z0-9]{24}$/);
    expect(Number.isInteger(body.created)).toBe(true);
    expect(body.usage.completion_tokens).toBe(countTokens(text));
    expect(body.usage.prompt_tokens).toBeGreaterThan(countTokens(PASSWORD_QUESTION));
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('names the article and confidence in response headers', async () => {
    const res = await call('chat.completions', chatBody(PASSWORD_QUESTION));
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'x-safegate-article': 'reset-password' });
    expect(Number(res.headers['x-safegate-confidence'])).toBeGreaterThan(0.35);
  });

  it('gives the fixed fallback to off-topic requests', async () => {
    const res = await call('chat.completions', chatBody('write me a poem about the sea'));
    expect(res.kind === 'json' && (res.body as any).choices[0].message.content).toBe(FALLBACK);
    expect(res.headers['x-safegate-article']).toBe('none');
  });

  it('uses the configured contact or fallback message', async () => {
    const withContact = createArticlesUpstream({ anyModel: true, contact: 'call +1 555 0100' });
    const a = await call('chat.completions', chatBody('tell me a joke'), undefined, withContact);
    expect((a as any).body.choices[0].message.content).toBe("I can't help with that here. To reach a person, call +1 555 0100.");
    const custom = createArticlesUpstream({ anyModel: true, fallbackMessage: 'Ask at the front desk.' });
    const b = await call('chat.completions', chatBody('tell me a joke'), undefined, custom);
    expect((b as any).body.choices[0].message.content).toBe('Ask at the front desk.');
  });

  it('queries the last user message only, reading text parts and ignoring images', async () => {
    const body = await json('chat.completions', {
      model: 'm',
      messages: [
        { role: 'system', content: 'You answer questions about the weather.' },
        { role: 'user', content: 'tell me a joke' },
        { role: 'assistant', content: 'No.' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'text', text: 'how do I export my notes to PDF' }] },
      ],
    });
    expect(body.choices[0].message.content).toMatch(/^From "Exporting your notes" \(export-notes\)/);
  });

  it('repeats the answer for n choices and counts completion tokens for all of them', async () => {
    const body = await json('chat.completions', chatBody(PASSWORD_QUESTION, { n: 3 }));
    expect(body.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
    const texts = new Set(body.choices.map((c: any) => c.message.content));
    expect(texts.size).toBe(1);
    expect(body.usage.completion_tokens).toBe(3 * countTokens([...texts][0] as string));
  });

  it.each(['max_completion_tokens', 'max_tokens'])('cuts the answer at %s and finishes with length', async (field) => {
    const body = await json('chat.completions', chatBody(PASSWORD_QUESTION, { [field]: 20 }));
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(20);
    expect(countTokens(body.choices[0].message.content)).toBe(body.usage.completion_tokens);
    expect(body.choices[0].message.content.startsWith('From "Resetting your password"')).toBe(true);
  });

  it('streams chunks whose deltas join to the non-stream text, ending with [DONE]', async () => {
    const full = (await json('chat.completions', chatBody(PASSWORD_QUESTION))).choices[0].message.content;
    const evs = await events('chat.completions', chatBody(PASSWORD_QUESTION));
    expect(evs.every((e) => e.event === undefined)).toBe(true);
    expect(evs.at(-1)).toEqual({ data: '[DONE]' });
    const chunks = chunksOf(evs);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].id).toMatch(/^chatcmpl-/);
    for (const c of chunks) expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-test' });
    for (const c of chunks) expect('usage' in c).toBe(false);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const deltas = chunks.map((c) => c.choices[0].delta.content ?? '');
    expect(deltas.join('')).toBe(full);
    expect(deltas.filter(Boolean).length).toBeGreaterThan(20);
    expect(chunks.at(-1).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
  });

  it('with include_usage puts usage: null on every chunk and ends with a usage chunk without choices', async () => {
    const evs = await events('chat.completions', chatBody(PASSWORD_QUESTION, { stream_options: { include_usage: true } }));
    const chunks = chunksOf(evs);
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.total_tokens).toBe(last.usage.prompt_tokens + last.usage.completion_tokens);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(last.usage.completion_tokens).toBe(countTokens(text));
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(evs.at(-1)?.data).toBe('[DONE]');
  });

  it('streams n choices interleaved, each complete', async () => {
    const chunks = chunksOf(await events('chat.completions', chatBody(PASSWORD_QUESTION, { n: 2 })));
    const text = (i: number) => chunks.filter((c) => c.choices[0].index === i).map((c) => c.choices[0].delta.content ?? '').join('');
    expect(text(0)).toBe(text(1));
    expect(text(0).length).toBeGreaterThan(100);
    const finishes = chunks.filter((c) => c.choices[0].finish_reason).map((c) => [c.choices[0].index, c.choices[0].finish_reason]);
    expect(finishes).toEqual([[0, 'stop'], [1, 'stop']]);
  });

  it('streams a cut answer with finish_reason length', async () => {
    const chunks = chunksOf(await events('chat.completions', chatBody(PASSWORD_QUESTION, { max_completion_tokens: 16 })));
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
    expect(countTokens(chunks.map((c) => c.choices[0].delta.content ?? '').join(''))).toBeLessThanOrEqual(16);
  });
});

describe('responses', () => {
  it('answers in the Response object shape, echoing the request settings', async () => {
    const body = await json('responses', { model: 'gpt-test', input: PASSWORD_QUESTION, instructions: 'Be brief.', metadata: { ticket: '42' }, max_output_tokens: 4000 });
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'gpt-test',
      instructions: 'Be brief.',
      metadata: { ticket: '42' },
      max_output_tokens: 4000,
      error: null,
      incomplete_details: null,
      output: [{ type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [] }] }],
      usage: { input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    });
    expect(body.id).toMatch(/^resp_[A-Za-z0-9]{24}$/);
    expect(body.output[0].id).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    const text = body.output[0].content[0].text;
    expect(text.startsWith('From "Resetting your password" (reset-password):')).toBe(true);
    expect(body.usage.output_tokens).toBe(countTokens(text));
    expect(body.usage.input_tokens).toBeGreaterThan(countTokens(PASSWORD_QUESTION) + countTokens('Be brief.'));
    expect(body.usage.total_tokens).toBe(body.usage.input_tokens + body.usage.output_tokens);
  });

  it('queries the last user message item, reading input_text parts', async () => {
    const body = await json('responses', {
      model: 'm',
      input: [
        { role: 'user', content: 'tell me a joke' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'No.' }] },
        { role: 'user', content: [{ type: 'input_image', image_url: 'https://x.example/a.png' }, { type: 'input_text', text: 'how much does the pro plan cost' }] },
      ],
    });
    expect(body.output[0].content[0].text).toMatch(/^From "Plans and pricing" \(plans-and-pricing\)/);
  });

  it('cuts the answer at max_output_tokens: status incomplete, reason max_output_tokens', async () => {
    const body = await json('responses', { model: 'm', input: PASSWORD_QUESTION, max_output_tokens: 16 });
    expect(body.status).toBe('incomplete');
    expect(body.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(body.usage.output_tokens).toBeLessThanOrEqual(16);
  });

  it('streams the event sequence with increasing sequence numbers; deltas join to the non-stream text', async () => {
    const full = (await json('responses', { model: 'm', input: PASSWORD_QUESTION })).output[0].content[0].text;
    const evs = await events('responses', { model: 'm', input: PASSWORD_QUESTION });
    const data = evs.map((e) => JSON.parse(e.data));
    evs.forEach((e, i) => expect(e.event).toBe(data[i].type));
    data.forEach((d, i) => expect(d.sequence_number).toBe(i));
    const types = [...new Set(data.map((d) => d.type))];
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = data.filter((d) => d.type === 'response.output_text.delta').map((d) => d.delta);
    expect(deltas.length).toBeGreaterThan(20);
    expect(deltas.join('')).toBe(full);
    expect(data.find((d) => d.type === 'response.output_text.done').text).toBe(full);
    expect(data[0].response).toMatchObject({ status: 'in_progress', output: [], usage: null });
    const done = data.at(-1).response;
    expect(done).toMatchObject({ id: data[0].response.id, status: 'completed', output: [{ content: [{ text: full }] }] });
    expect(done.usage.output_tokens).toBe(countTokens(full));
    expect(evs.some((e) => e.data === '[DONE]')).toBe(false);
  });

  it('ends a cut stream with response.incomplete', async () => {
    const evs = await events('responses', { model: 'm', input: PASSWORD_QUESTION, max_output_tokens: 16 });
    const last = JSON.parse(evs.at(-1)?.data ?? '{}');
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});

describe('abort, errors and models', () => {
  it('stops a stream when the signal aborts', async () => {
    const controller = new AbortController();
    const res = await call('chat.completions', chatBody(PASSWORD_QUESTION, { stream: true }), controller.signal);
    if (res.kind !== 'stream') throw new Error('expected a stream');
    const iterator = res.events[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    expect((await iterator.next()).done).toBe(false);
    controller.abort();
    expect((await iterator.next()).done).toBe(true);
    expect((await iterator.next()).done).toBe(true);
  });

  it('rejects a request whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await expect(call('responses', { model: 'm', input: 'x' }, controller.signal)).rejects.toThrow('client went away');
  });

  it('answers moderations with a 404 in OpenAI error shape', async () => {
    const res = await call('moderations', { input: 'hello' });
    expect(res).toMatchObject({ kind: 'json', status: 404, body: { error: { type: 'not_found_error', code: 'not_found', param: null } } });
    expect(typeof (res as any).body.error.message).toBe('string');
  });

  it('serves only safegate-articles unless anyModel is set', async () => {
    const only = createArticlesUpstream({ anyModel: false });
    expect(only.anyModel).toBe(false);
    expect(await only.listModels()).toEqual([ARTICLES_MODEL]);
    const refused = await call('chat.completions', chatBody(PASSWORD_QUESTION), undefined, only);
    expect(refused).toMatchObject({ status: 404, body: { error: { code: 'model_not_found', param: 'model' } } });
    const served = await call('chat.completions', { ...chatBody(PASSWORD_QUESTION), model: ARTICLES_MODEL }, undefined, only);
    expect(served.status).toBe(200);
  });

  it.each([
    ['chat.completions', { model: 'm', messages: 'hi' }, 'messages'],
    ['chat.completions', chatBody('hi', { n: 0 }), 'n'],
    ['chat.completions', chatBody('hi', { max_tokens: 1.5 }), 'max_tokens'],
    ['responses', { model: 'm', input: 'hi', max_output_tokens: -1 }, 'max_output_tokens'],
    ['responses', { input: 'hi' }, 'model'],
  ] as const)('rejects an invalid %s request (%s) with a 400 naming the parameter', async (endpoint, body, param) => {
    const res = await call(endpoint, body);
    expect(res).toMatchObject({ kind: 'json', status: 400, body: { error: { type: 'invalid_request_error', param } } });
  });

  it('rejects a threshold outside 0..1', () => {
    expect(() => createArticlesUpstream({ anyModel: true, threshold: 1.5 })).toThrow(RangeError);
  });
});
