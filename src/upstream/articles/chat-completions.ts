/**
 * Renders an answer as a Chat Completions response: a `chat.completion`
 * object, or the `chat.completion.chunk` events of a stream ending with
 * `[DONE]`.
 */
import type { SseEvent } from '../types.js';
import { type Answer, randomId, splitIntoDeltas, unixSeconds } from './answer.js';

export interface ChatRendering {
  answer: Answer;
  /** the model name the client asked for, echoed back */
  model: string;
  /** number of choices, each with the same text */
  n: number;
  /** `stream_options.include_usage`: `usage: null` on every chunk, then a final usage chunk with `choices: []` */
  includeUsage: boolean;
}

/** The text of every message in `messages` (string content or text parts), for the prompt-token estimate. */
export function chatMessageTexts(messages: readonly unknown[]): string[] {
  return messages.map((m) => contentText(isRecord(m) ? m.content : undefined));
}

/** The text of the last `user` message (string content or its text parts joined by newlines); '' when there is none. */
export function lastChatUserText(messages: readonly unknown[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (isRecord(m) && m.role === 'user') return contentText(m.content);
  }
  return '';
}

export function chatCompletion(r: ChatRendering): Record<string, unknown> {
  const finishReason = r.answer.truncated ? 'length' : 'stop';
  return {
    id: randomId('chatcmpl-'),
    object: 'chat.completion',
    created: unixSeconds(),
    model: r.model,
    choices: Array.from({ length: r.n }, (_, index) => ({
      index,
      message: { role: 'assistant', content: r.answer.text, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: finishReason,
    })),
    usage: chatUsage(r),
    service_tier: 'default',
  };
}

/** The stream's events: per choice a role chunk, then content deltas (choices interleaved), per choice a finish chunk, the optional usage chunk, `[DONE]`. */
export function* chatCompletionEvents(r: ChatRendering): Generator<SseEvent> {
  const base = { id: randomId('chatcmpl-'), object: 'chat.completion.chunk', created: unixSeconds(), model: r.model, service_tier: 'default' };
  const usageNull = r.includeUsage ? { usage: null } : {};
  const chunk = (index: number, delta: Record<string, unknown>, finishReason: string | null): SseEvent => ({
    data: JSON.stringify({ ...base, choices: [{ index, delta, logprobs: null, finish_reason: finishReason }], ...usageNull }),
  });
  const choices = Array.from({ length: r.n }, (_, index) => index);

  for (const index of choices) yield chunk(index, { role: 'assistant', content: '', refusal: null }, null);
  for (const delta of splitIntoDeltas(r.answer.text, r.answer.wordsPerDelta)) {
    for (const index of choices) yield chunk(index, { content: delta }, null);
  }
  const finishReason = r.answer.truncated ? 'length' : 'stop';
  for (const index of choices) yield chunk(index, {}, finishReason);
  if (r.includeUsage) yield { data: JSON.stringify({ ...base, choices: [], usage: chatUsage(r) }) };
  yield { data: '[DONE]' };
}

function chatUsage(r: ChatRendering): Record<string, unknown> {
  const completion = r.answer.outputTokens * r.n;
  return {
    prompt_tokens: r.answer.inputTokens,
    completion_tokens: completion,
    total_tokens: r.answer.inputTokens + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p): p is { type: 'text'; text: string } => isRecord(p) && p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
