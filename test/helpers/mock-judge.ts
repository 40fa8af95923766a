/**
 * A local OpenAI-compatible chat endpoint playing an LLM judge: answers each
 * `POST /v1/chat/completions` with scripted message content (or a raw status
 * and body), and records every request.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JudgeRequest {
  headers: Record<string, string | string[] | undefined>;
  body: { model: string; messages: Array<{ role: string; content: string }>; [k: string]: unknown };
}

export type JudgeReply = string | { status: number; body: string } | { delayMs: number; content: string };

export interface MockJudge {
  url: string;
  requests: JudgeRequest[];
  reply: (req: JudgeRequest) => JudgeReply;
  close(): Promise<void>;
}

/** The text under judgement, taken from between the nonce markers (or the last message). */
export function judgedText(req: JudgeRequest): string {
  const last = req.body.messages.at(-1)?.content ?? '';
  const m = /<<<CONTENT-[0-9a-f]+>>>\n([\s\S]*)\n<<<END-[0-9a-f]+>>>/.exec(last);
  return m ? m[1]! : last;
}

export async function startMockJudge(reply: MockJudge['reply']): Promise<MockJudge> {
  const state: MockJudge = { url: '', requests: [], reply, close: async () => undefined };
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const captured: JudgeRequest = { headers: req.headers, body: JSON.parse(raw) as JudgeRequest['body'] };
    state.requests.push(captured);
    const r = state.reply(captured);
    if (typeof r === 'object' && 'status' in r) {
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(r.body);
      return;
    }
    let content: string;
    if (typeof r === 'object') {
      await new Promise((resolve) => setTimeout(resolve, r.delayMs));
      content = r.content;
    } else content = r;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'chatcmpl-judge', object: 'chat.completion', created: 0, model: captured.body.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
