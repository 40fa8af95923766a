/**
 * Renders an answer as a Responses API response: a `response` object, or
 * the typed events of a stream (`event:` = type, increasing
 * `sequence_number`, ending with `response.completed`, or
 * `response.incomplete` when the text was cut at `max_output_tokens`).
 */
import type { SseEvent } from '../types.js';
import { type Answer, randomId, splitIntoDeltas, unixSeconds } from './answer.js';

export interface ResponsesRendering {
  answer: Answer;
  /** the model name the client asked for, echoed back */
  model: string;
  /** the request body, for the fields a Response echoes (instructions, metadata, limits, ...) */
  request: Record<string, unknown>;
}

/**
 * The texts of `instructions` and the input messages, for the prompt-token
 * estimate. `input` is a string or a list of items; message items contribute
 * their string content or their text parts.
 */
export function responsesPromptTexts(request: Record<string, unknown>): string[] {
  const texts = typeof request.instructions === 'string' ? [request.instructions] : [];
  if (typeof request.input === 'string') return [...texts, request.input];
  if (Array.isArray(request.input)) for (const item of request.input) if (isMessage(item)) texts.push(contentText(item.content));
  return texts;
}

/** The text of the user's last message: `input` itself when a string, else the last `user` message item; '' when there is none. */
export function lastResponsesUserText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input)) return '';
  for (let i = input.length - 1; i >= 0; i--) {
    const item: unknown = input[i];
    if (isMessage(item) && item.role === 'user') return contentText(item.content);
  }
  return '';
}

export function responseObject(r: ResponsesRendering): Record<string, unknown> {
  const ids = { response: randomId('resp_'), message: randomId('msg_') };
  const createdAt = unixSeconds();
  return frame(r, ids, createdAt, finalStatus(r), [messageItem(r, ids.message, 'final')], usage(r));
}

export function* responseEvents(r: ResponsesRendering): Generator<SseEvent> {
  const ids = { response: randomId('resp_'), message: randomId('msg_') };
  const createdAt = unixSeconds();
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>): SseEvent => ({
    event: type,
    data: JSON.stringify({ type, ...fields, sequence_number: sequence++ }),
  });
  const at = { item_id: ids.message, output_index: 0, content_index: 0 };
  const part = { type: 'output_text', text: r.answer.text, annotations: [], logprobs: [] };

  const pending = frame(r, ids, createdAt, 'in_progress', [], null);
  yield event('response.created', { response: pending });
  yield event('response.in_progress', { response: pending });
  yield event('response.output_item.added', { output_index: 0, item: messageItem(r, ids.message, 'pending') });
  yield event('response.content_part.added', { ...at, part: { ...part, text: '' } });
  for (const delta of splitIntoDeltas(r.answer.text, r.answer.wordsPerDelta)) {
    yield event('response.output_text.delta', { ...at, delta, logprobs: [] });
  }
  yield event('response.output_text.done', { ...at, text: r.answer.text, logprobs: [] });
  yield event('response.content_part.done', { ...at, part });
  const item = messageItem(r, ids.message, 'final');
  yield event('response.output_item.done', { output_index: 0, item });
  const status = finalStatus(r);
  yield event(status === 'completed' ? 'response.completed' : 'response.incomplete', {
    response: frame(r, ids, createdAt, status, [item], usage(r)),
  });
}

function finalStatus(r: ResponsesRendering): 'completed' | 'incomplete' {
  return r.answer.truncated ? 'incomplete' : 'completed';
}

function messageItem(r: ResponsesRendering, id: string, stage: 'pending' | 'final'): Record<string, unknown> {
  if (stage === 'pending') return { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] };
  return {
    id,
    type: 'message',
    status: finalStatus(r),
    role: 'assistant',
    content: [{ type: 'output_text', text: r.answer.text, annotations: [], logprobs: [] }],
  };
}

/** The Response object around `output`, echoing the request's settings as OpenAI does. Not stored: `store` is always false. */
function frame(
  r: ResponsesRendering,
  ids: { response: string },
  createdAt: number,
  status: 'in_progress' | 'completed' | 'incomplete',
  output: unknown[],
  usageValue: Record<string, unknown> | null,
): Record<string, unknown> {
  const q = r.request;
  const done = status !== 'in_progress';
  return {
    id: ids.response,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    completed_at: status === 'completed' ? unixSeconds() : null,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: q.instructions ?? null,
    max_output_tokens: q.max_output_tokens ?? null,
    max_tool_calls: q.max_tool_calls ?? null,
    model: r.model,
    output,
    parallel_tool_calls: q.parallel_tool_calls ?? true,
    previous_response_id: q.previous_response_id ?? null,
    prompt_cache_key: q.prompt_cache_key ?? null,
    reasoning: { effort: null, summary: null },
    safety_identifier: q.safety_identifier ?? null,
    service_tier: 'default',
    store: false,
    temperature: q.temperature ?? 1,
    text: q.text ?? { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: q.tool_choice ?? 'auto',
    tools: q.tools ?? [],
    top_logprobs: q.top_logprobs ?? 0,
    top_p: q.top_p ?? 1,
    truncation: q.truncation ?? 'disabled',
    usage: done ? usageValue : null,
    user: q.user ?? null,
    metadata: q.metadata ?? {},
  };
}

function usage(r: ResponsesRendering): Record<string, unknown> {
  return {
    input_tokens: r.answer.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: r.answer.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: r.answer.inputTokens + r.answer.outputTokens,
  };
}

function isMessage(item: unknown): item is { role?: unknown; content?: unknown; type?: unknown } {
  return typeof item === 'object' && item !== null && 'role' in item && (!('type' in item) || (item as { type: unknown }).type === 'message');
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p): p is { text: string } => typeof p === 'object' && p !== null && (p.type === 'input_text' || p.type === 'output_text') && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}
