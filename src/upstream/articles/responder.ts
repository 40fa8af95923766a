/**
 * The embedded default upstream: a validated-answers responder. It never
 * generates text. It answers with the best-matching support article from a
 * knowledge base, word for word, or, below a confidence threshold, with a
 * fixed message that says how to reach a person. It speaks the Chat
 * Completions and Responses wire formats, streaming included, so the whole
 * gateway works without any provider key.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { ErrorCode } from '../../errors/codes.js';
import type { SseEvent, Upstream, UpstreamRequest, UpstreamResponse } from '../types.js';
import { type Answer, capTokens, countPromptTokens } from './answer.js';
import { chatCompletion, chatCompletionEvents, chatMessageTexts, lastChatUserText } from './chat-completions.js';
import { DEFAULT_CONFIDENCE_THRESHOLD, DEFAULT_KB_DIR, type KnowledgeBase, loadKnowledgeBase } from './knowledge-base.js';
import { lastResponsesUserText, responseEvents, responseObject, responsesPromptTexts } from './responses.js';

/** The model id this responder serves. */
export const ARTICLES_MODEL = 'safegate-articles';

export const DEFAULT_CONTACT = 'contact support@example.com or use the in-app chat (Help → Contact us)';

export interface ArticlesUpstreamOptions {
  /** knowledge-base folder; the bundled sample (`kb/`) when omitted */
  dir?: string;
  /** an already loaded knowledge base; takes precedence over `dir` */
  knowledgeBase?: KnowledgeBase;
  /** answer whatever model the client names (true when this is the only upstream); otherwise only `safegate-articles` */
  anyModel: boolean;
  /** minimum confidence (0..1) for answering with an article; default DEFAULT_CONFIDENCE_THRESHOLD */
  threshold?: number;
  /** how to reach a person, completing "To reach a person, …." in the fallback message */
  contact?: string;
  /** replaces the whole fallback message */
  fallbackMessage?: string;
  /** stream delta size in words; default 3 */
  wordsPerDelta?: number;
}

/**
 * Creates the responder. Loads and indexes the knowledge base at once, so a
 * bad knowledge base fails the start (KnowledgeBaseError naming the file).
 *
 * Behaviour of `call`:
 * - `chat.completions` and `responses`: the query is the text of the last
 *   user message (images and files ignored). The answer is
 *   `From "<title>" (<id>):`, a blank line, the article's Markdown body and,
 *   when the article has one, `Source: <url>`; or the fallback message.
 *   The output-token cap (`max_completion_tokens` / `max_tokens`,
 *   `max_output_tokens`) cuts the text (finish_reason `length`; Responses
 *   status `incomplete`). `n` repeats the answer; `model` is echoed.
 * - `moderations`: a 404 error; moderation is answered elsewhere.
 * - Response headers `x-safegate-article` (article id, or `none` for the
 *   fallback) and `x-safegate-confidence` tell the gateway which validated
 *   material was used, for audit and review.
 * - A request already aborted throws the signal's reason; a stream stops
 *   (ends without further events) as soon as the signal aborts.
 *
 * @example
 * const upstream = createArticlesUpstream({ anyModel: true });
 * const res = await upstream.call({ endpoint: 'chat.completions', body: { model: 'x', messages: [{ role: 'user', content: 'I forgot my password' }] }, signal, requestId });
 */
export function createArticlesUpstream(options: ArticlesUpstreamOptions): Upstream {
  const kb = options.knowledgeBase ?? loadKnowledgeBase(options.dir ?? DEFAULT_KB_DIR);
  const threshold = options.threshold ?? DEFAULT_CONFIDENCE_THRESHOLD;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError('threshold must be between 0 and 1');
  const wordsPerDelta = options.wordsPerDelta ?? 3;
  if (!Number.isInteger(wordsPerDelta) || wordsPerDelta < 1) throw new RangeError('wordsPerDelta must be a positive integer');
  const fallback = options.fallbackMessage ?? `I can't help with that here. To reach a person, ${options.contact ?? DEFAULT_CONTACT}.`;

  function respond(query: string, cap: number | undefined, inputTokens: number): { answer: Answer; headers: Record<string, string> } {
    const hit = kb.search(query, { limit: 1 })[0];
    const article = hit && hit.confidence >= threshold ? hit.article : undefined;
    const full = article
      ? `From "${article.title}" (${article.id}):\n\n${article.body}${article.url ? `\n\nSource: ${article.url}` : ''}`
      : fallback;
    const capped = capTokens(full, cap);
    return {
      answer: { text: capped.text, outputTokens: capped.tokens, truncated: capped.truncated, inputTokens, wordsPerDelta },
      headers: { 'x-safegate-article': article?.id ?? 'none', 'x-safegate-confidence': (hit?.confidence ?? 0).toFixed(3) },
    };
  }

  return {
    name: 'articles',
    anyModel: options.anyModel,
    async listModels() {
      return [ARTICLES_MODEL];
    },
    async call({ endpoint, body, signal }: UpstreamRequest): Promise<UpstreamResponse> {
      signal.throwIfAborted();
      if (endpoint === 'moderations') return error('NOT_FOUND', 'The validated-answers responder does not serve moderations.');
      const model = body.model;
      if (typeof model !== 'string' || model === '') return error('INVALID_REQUEST', 'A model name is required.', 'model');
      if (!options.anyModel && model !== ARTICLES_MODEL) return error('NO_UPSTREAM', `This upstream serves only the model ${ARTICLES_MODEL}.`, 'model');
      const stream = body.stream === true;

      if (endpoint === 'chat.completions') {
        const messages = body.messages;
        if (!Array.isArray(messages)) return error('INVALID_REQUEST', 'messages must be an array of messages.', 'messages');
        const n = body.n ?? 1;
        if (!isIntegerIn(n, 1, 128)) return error('INVALID_REQUEST', 'n must be an integer from 1 to 128.', 'n');
        const capField = body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
        const cap = body[capField] ?? undefined;
        if (cap !== undefined && !isIntegerIn(cap, 1, Number.MAX_SAFE_INTEGER)) return error('INVALID_REQUEST', `${capField} must be a positive integer.`, capField);
        const { answer, headers } = respond(lastChatUserText(messages), cap, countPromptTokens(chatMessageTexts(messages)));
        const streamOptions = body.stream_options;
        const includeUsage = typeof streamOptions === 'object' && streamOptions !== null && (streamOptions as { include_usage?: unknown }).include_usage === true;
        const rendering = { answer, model, n, includeUsage };
        return stream ? streamed(chatCompletionEvents(rendering), headers, signal) : json(chatCompletion(rendering), headers);
      }

      const cap = body.max_output_tokens ?? undefined;
      if (cap !== undefined && !isIntegerIn(cap, 1, Number.MAX_SAFE_INTEGER)) return error('INVALID_REQUEST', 'max_output_tokens must be a positive integer.', 'max_output_tokens');
      const { answer, headers } = respond(lastResponsesUserText(body.input), cap, countPromptTokens(responsesPromptTexts(body)));
      const rendering = { answer, model, request: body };
      return stream ? streamed(responseEvents(rendering), headers, signal) : json(responseObject(rendering), headers);
    },
  };
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function json(body: Record<string, unknown>, headers: Record<string, string>): UpstreamResponse {
  return { kind: 'json', status: 200, body, headers: { 'content-type': 'application/json', ...headers } };
}

function streamed(events: Iterable<SseEvent>, headers: Record<string, string>, signal: AbortSignal): UpstreamResponse {
  return { kind: 'stream', status: 200, events: untilAborted(events, signal), headers: { 'content-type': 'text/event-stream', ...headers } };
}

function error(code: ErrorCode, message: string, param: string | null = null): UpstreamResponse {
  const err = new GatewayError(code, { message, param });
  return { kind: 'json', status: err.status, body: err.toBody(), headers: { 'content-type': 'application/json' } };
}

/** Yields `events` until `signal` aborts, then ends quietly: the client is gone, so there is nobody to tell. */
async function* untilAborted(events: Iterable<SseEvent>, signal: AbortSignal): AsyncGenerator<SseEvent> {
  for (const event of events) {
    if (signal.aborted) return;
    yield event;
  }
}
