/**
 * Answers Safegate makes itself: refusals in the wire format of each endpoint
 * (`finish_reason: "content_filter"` for Chat, `status: "incomplete"` with
 * reason `content_filter` for Responses), JSON or streamed.
 */
import { randomBytes } from 'node:crypto';
import type { SseEvent } from '../upstream/types.js';

export function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function chatRefusal(model: string, message: string, n = 1): Record<string, unknown> {
  return {
    id: newId('chatcmpl-sg'),
    object: 'chat.completion',
    created: nowSeconds(),
    model,
    choices: Array.from({ length: Math.max(1, n) }, (_, index) => ({
      index,
      message: { role: 'assistant', content: message, refusal: null },
      logprobs: null,
      finish_reason: 'content_filter',
    })),
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

export function chatRefusalStream(model: string, message: string, includeUsage: boolean): SseEvent[] {
  const base = { id: newId('chatcmpl-sg'), object: 'chat.completion.chunk', created: nowSeconds(), model };
  const usage = includeUsage ? { usage: null } : {};
  const events: SseEvent[] = [
    { data: JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: message }, logprobs: null, finish_reason: null }], ...usage }) },
    { data: JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'content_filter' }], ...usage }) },
  ];
  if (includeUsage) events.push({ data: JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } }) });
  events.push({ data: '[DONE]' });
  return events;
}

function responseObject(request: Record<string, unknown>, model: string, status: string, output: unknown[]): Record<string, unknown> {
  return {
    id: newId('resp_sg'),
    object: 'response',
    created_at: nowSeconds(),
    status,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'content_filter' } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model,
    output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: 'text' } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: { input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 },
    metadata: request.metadata ?? {},
  };
}

function refusalMessageItem(message: string): Record<string, unknown> {
  return { type: 'message', id: newId('msg_sg'), status: 'incomplete', role: 'assistant', content: [{ type: 'output_text', text: message, annotations: [] }] };
}

export function responsesRefusal(request: Record<string, unknown>, model: string, message: string): Record<string, unknown> {
  return responseObject(request, model, 'incomplete', [refusalMessageItem(message)]);
}

/** A whole refusal stream: created → item → text → incomplete. */
export function responsesRefusalStream(request: Record<string, unknown>, model: string, message: string): SseEvent[] {
  const item = refusalMessageItem(message);
  const final = responseObject(request, model, 'incomplete', [item]);
  const started = { ...final, status: 'in_progress', incomplete_details: null, output: [] };
  const itemId = item.id as string;
  const seq = { n: 0 };
  const ev = (type: string, body: Record<string, unknown>): SseEvent => ({ event: type, data: JSON.stringify({ type, ...body, sequence_number: seq.n++ }) });
  const part = { type: 'output_text', text: message, annotations: [] };
  return [
    ev('response.created', { response: started }),
    ev('response.in_progress', { response: started }),
    ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
    ev('response.content_part.added', { item_id: itemId, output_index: 0, content_index: 0, part: { ...part, text: '' } }),
    ev('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta: message, logprobs: [] }),
    ev('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text: message, logprobs: [] }),
    ev('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part }),
    ev('response.output_item.done', { output_index: 0, item }),
    ev('response.incomplete', { response: final }),
  ];
}
