/**
 * A local OpenAI-compatible provider for tests and benchmarks. It records every
 * request (headers and body) and answers with scripted text, in the exact wire
 * format of Chat Completions and Responses, streamed or not.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  raw: string;
}

export interface Script {
  /** answer text for a request (default: echoes "ok") */
  answer?: (body: Record<string, unknown>, req: CapturedRequest) => string;
  /** reply with this status and error body instead (`req` gives the headers, e.g. to check the provider key) */
  error?: (body: Record<string, unknown>, attempt: number, req: CapturedRequest) => { status: number; body: unknown; headers?: Record<string, string> } | null;
  /** characters per streamed delta */
  chunkSize?: number;
  /** delay between streamed deltas, ms */
  delayMs?: number;
  /** stream: stop after this many deltas and destroy the socket */
  breakAfter?: number;
  /** tool call to return (chat) */
  toolCall?: { name: string; arguments: string } | null;
  /** record requests in `requests` (default true; benchmarks turn it off to keep memory flat) */
  keepRequests?: boolean;
  /** moderation results */
  moderation?: (input: unknown) => unknown;
}

export interface MockUpstream {
  url: string;
  requests: CapturedRequest[];
  script: Script;
  /** number of streams whose client went away before the end */
  aborted: number;
  close(): Promise<void>;
}

function usage(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMockUpstream(script: Script = {}): Promise<MockUpstream> {
  const state: MockUpstream = { url: '', requests: [], script, aborted: 0, close: async () => undefined };
  const attempts = new Map<string, number>();

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const captured: CapturedRequest = { path: req.url ?? '', headers: req.headers, body, raw };
    const s = state.script;
    if (s.keepRequests !== false) state.requests.push(captured);
    // Attempts are counted only while a test scripts errors, so long benchmark runs keep no per-request state.
    let attempt = 1;
    if (s.error) {
      const key = `${req.url}:${raw}`;
      attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
    }
    const err = s.error?.(body, attempt, captured);
    if (err) {
      res.writeHead(err.status, { 'content-type': 'application/json', ...err.headers });
      res.end(typeof err.body === 'string' ? err.body : JSON.stringify(err.body));
      return;
    }
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-test', object: 'model', created: 0, owned_by: 'mock' }] }));
      return;
    }
    if (req.url === '/v1/moderations') {
      const results = s.moderation?.(body.input) ?? [{ flagged: false, categories: {}, category_scores: {}, category_applied_input_types: {} }];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'modr-mock', model: body.model ?? 'omni-moderation-latest', results }));
      return;
    }
    const text = s.answer ? s.answer(body, captured) : 'ok';
    const model = String(body.model);
    const stream = body.stream === true;
    const size = s.chunkSize ?? 8;
    let closed = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        closed = true;
        state.aborted++;
      }
    });

    // Inline moderation (openai-wire §2.6): scores of input and output with the answer, when the request asked.
    const moderated = (list: boolean): Record<string, unknown> => {
      if (!body.moderation || !s.moderation) return {};
      const side = (input: unknown) => {
        const results = s.moderation!(input) as Record<string, unknown>[];
        return list
          ? { type: 'moderation_results', model: 'omni-moderation-latest', results: results.map((r) => ({ type: 'moderation_result', model: 'omni-moderation-latest', ...r })) }
          : { type: 'moderation_result', model: 'omni-moderation-latest', ...results[0] };
      };
      return { moderation: { input: side(JSON.stringify(body.messages ?? body.input)), output: side(text) } };
    };

    if (req.url === '/v1/chat/completions') {
      const n = typeof body.n === 'number' ? body.n : 1;
      const inline = moderated(true);
      if (!stream) {
        const message: Record<string, unknown> = { role: 'assistant', content: s.toolCall ? null : text, refusal: null };
        if (s.toolCall) message.tool_calls = [{ id: 'call_1', type: 'function', function: s.toolCall }];
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'up_req_1' });
        res.end(JSON.stringify({
          id: 'chatcmpl-mock', object: 'chat.completion', created: 1700000000, model,
          choices: Array.from({ length: n }, (_, index) => ({ index, message, logprobs: null, finish_reason: s.toolCall ? 'tool_calls' : 'stop' })),
          usage: usage(10, Math.ceil(text.length / 4)),
          ...inline,
        }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1700000000, model, system_fingerprint: 'fp_mock' };
      const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
      const u = withUsage ? { usage: null } : {};
      const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
      for (let index = 0; index < n; index++) send({ ...base, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...u });
      let sent = 0;
      if (s.toolCall) {
        send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: s.toolCall.name, arguments: '' } }] }, logprobs: null, finish_reason: null }], ...u });
        for (const piece of chunks(s.toolCall.arguments, size)) send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }], ...u });
      } else {
        for (const piece of chunks(text, size)) {
          if (closed) return;
          for (let index = 0; index < n; index++) send({ ...base, choices: [{ index, delta: { content: piece }, logprobs: null, finish_reason: null }], ...u, obfuscation: 'xyz' });
          sent++;
          if (s.breakAfter !== undefined && sent >= s.breakAfter) {
            await sleep(50);
            res.socket?.destroy();
            return;
          }
          if (s.delayMs) await sleep(s.delayMs);
        }
      }
      for (let index = 0; index < n; index++) send({ ...base, choices: [{ index, delta: {}, logprobs: null, finish_reason: s.toolCall ? 'tool_calls' : 'stop' }], ...u });
      // The scores arrive after the whole output, never inside partial deltas.
      if (inline.moderation) send({ ...base, choices: [], ...u, ...inline });
      if (withUsage) send({ ...base, choices: [], usage: usage(10, Math.ceil(text.length / 4)) });
      res.end('data: [DONE]\n\n');
      return;
    }

    if (req.url === '/v1/responses') {
      const respBase = {
        id: 'resp_mock', object: 'response', created_at: 1700000000, model, error: null, incomplete_details: null,
        instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null, parallel_tool_calls: true,
        previous_response_id: null, store: true, temperature: 1, text: { format: { type: 'text' } }, tool_choice: 'auto', tools: [], top_p: 1,
        truncation: 'disabled', metadata: {},
      };
      const item = { type: 'message', id: 'msg_mock', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
      const u = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: Math.ceil(text.length / 4), output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 10 + Math.ceil(text.length / 4) };
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...respBase, status: 'completed', output: [item], usage: u, ...moderated(false) }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let seq = 0;
      const ev = (type: string, o: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...o, sequence_number: seq++ })}\n\n`);
      const inProgress = { ...respBase, status: 'in_progress', output: [], usage: null };
      ev('response.created', { response: inProgress });
      ev('response.in_progress', { response: inProgress });
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
      ev('response.content_part.added', { item_id: 'msg_mock', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      let sent = 0;
      for (const piece of chunks(text, size)) {
        if (closed) return;
        ev('response.output_text.delta', { item_id: 'msg_mock', output_index: 0, content_index: 0, delta: piece, logprobs: [] });
        sent++;
        if (s.breakAfter !== undefined && sent >= s.breakAfter) {
          await sleep(50);
          res.socket?.destroy();
          return;
        }
        if (s.delayMs) await sleep(s.delayMs);
      }
      ev('response.output_text.done', { item_id: 'msg_mock', output_index: 0, content_index: 0, text, logprobs: [] });
      ev('response.content_part.done', { item_id: 'msg_mock', output_index: 0, content_index: 0, part: { type: 'output_text', text, annotations: [] } });
      ev('response.output_item.done', { output_index: 0, item });
      ev('response.completed', { response: { ...respBase, status: 'completed', output: [item], usage: u, ...moderated(false) } });
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));
  };

  const server: Server = createServer((req, res) => {
    handler(req, res).catch((err: Error) => {
      res.writeHead(500);
      res.end(String(err.message));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
