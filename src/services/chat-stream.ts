/**
 * Guards a Chat Completions SSE stream: content, refusal and tool-call text
 * pass through the StreamGuard before the client sees them. Released text is
 * re-chunked into chunks that copy the upstream envelope (id, created, model).
 * A block ends every choice with `finish_reason: "content_filter"`, then
 * `[DONE]`; the upstream request is aborted.
 */
import type { StreamGuard, GuardStep } from '../pipeline/stream-guard.js';
import type { StageOutcome } from '../pipeline/run.js';
import type { SseEvent } from '../upstream/types.js';
import { contentBySkeleton, skeletonOf, type Skeleton } from './chunk-skeleton.js';

type Json = Record<string, unknown>;

export interface ChatStreamOptions {
  guard: StreamGuard;
  includeUsage: boolean;
  /** refusal mode: a refusal message is sent as content before the content_filter finish */
  refusalMessage: string | null;
  onBlock(outcome: StageOutcome): void;
  onUsage(usage: Json): void;
  /** the upstream sent something that is not a valid chunk */
  onUpstreamError(message: string): void;
}

interface ToolCall {
  choice: number;
  index: number;
  id?: unknown;
  type?: unknown;
  name?: unknown;
}

const ENVELOPE = ['id', 'object', 'created', 'model', 'system_fingerprint', 'service_tier'];

function envelope(chunk: Json): Json {
  const out: Json = {};
  for (const k of ENVELOPE) if (chunk[k] !== undefined) out[k] = chunk[k];
  return out;
}

export async function* guardChatStream(events: AsyncIterable<SseEvent>, opts: ChatStreamOptions): AsyncGenerator<SseEvent> {
  const { guard } = opts;
  let template: Json = { object: 'chat.completion.chunk' };
  const usageField = opts.includeUsage ? { usage: null } : {};
  const seen = new Set<number>();
  const tools = new Map<string, ToolCall>();
  let usageChunk: Json | null = null;

  const chunk = (choices: Json[]): SseEvent => ({ data: JSON.stringify({ ...template, choices, ...usageField }) });
  const emit = (step: Extract<GuardStep, { blocked: false }>): SseEvent[] =>
    step.release.filter((r) => r.key[0] === 'c' || r.key[0] === 'r').map((r) => {
      const index = Number(r.key.slice(1));
      const delta = r.key[0] === 'c' ? { content: r.text } : { refusal: r.text };
      return chunk([{ index, delta, logprobs: null, finish_reason: null }]);
    });
  function* blocked(outcome: StageOutcome): Generator<SseEvent> {
    opts.onBlock(outcome);
    const indexes = seen.size ? [...seen].sort((a, b) => a - b) : [0];
    for (const index of indexes) {
      if (opts.refusalMessage) yield chunk([{ index, delta: { content: opts.refusalMessage }, logprobs: null, finish_reason: null }]);
      yield chunk([{ index, delta: {}, logprobs: null, finish_reason: 'content_filter' }]);
    }
    yield { data: '[DONE]' };
  }
  const toolChunks = (choice: number): SseEvent[] =>
    [...tools.entries()]
      .filter(([, t]) => t.choice === choice)
      .map(([key, t]) => {
        tools.delete(key);
        const call: Json = { index: t.index, function: { ...(t.name !== undefined ? { name: t.name } : {}), arguments: guard.releasedText(key) } };
        if (t.id !== undefined) call.id = t.id;
        if (t.type !== undefined) call.type = t.type;
        return chunk([{ index: choice, delta: { tool_calls: [call] }, logprobs: null, finish_reason: null }]);
      });

  let skeleton: Skeleton | null = null;
  for await (const ev of events) {
    if (ev.data === '[DONE]') break;
    // Most chunks are another piece of text in the same envelope: no full parse for them (see chunk-skeleton.ts).
    const fast = skeleton ? contentBySkeleton(skeleton, ev.data) : undefined;
    if (fast !== undefined) {
      const pushed = guard.push(`c${skeleton!.index}`, fast, { more: ev.more === true });
      const step = pushed instanceof Promise ? await pushed : pushed;
      if (step.blocked) return yield* blocked(step.outcome);
      if (step.release.length > 0) yield* emit(step);
      continue;
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(ev.data) as Json;
    } catch {
      opts.onUpstreamError('the upstream sent a stream event that is not JSON');
      yield { data: JSON.stringify({ error: { message: 'The upstream sent an invalid stream event.', type: 'server_error', param: null, code: 'upstream_error' } }) };
      return;
    }
    if (parsed.error) {
      // A provider error mid-stream: release what has passed the checks, then forward the error.
      const step = await guard.finish();
      if (step.blocked) return yield* blocked(step.outcome);
      yield* emit(step);
      yield ev;
      return;
    }
    if (template.id === undefined && parsed.id !== undefined) template = envelope(parsed);
    skeleton ??= skeletonOf(ev.data, parsed);
    const choices = Array.isArray(parsed.choices) ? (parsed.choices as Json[]) : [];
    if (choices.length === 0) {
      if (parsed.usage) {
        usageChunk = parsed;
        opts.onUsage(parsed.usage as Json);
      } else yield ev;
      continue;
    }
    for (const choice of choices) {
      const index = typeof choice.index === 'number' ? choice.index : 0;
      seen.add(index);
      const delta = (choice.delta ?? {}) as Json;
      // Per token: no copies or temporary arrays unless something besides text must be passed on.
      const toolCalls = Array.isArray(delta.tool_calls);
      const texts = (typeof delta.content === 'string' && delta.content !== '' ? 1 : 0) | (typeof delta.refusal === 'string' && delta.refusal !== '' ? 2 : 0);
      let hasRest = false;
      for (const k in delta) {
        if ((k === 'content' && texts & 1) || (k === 'refusal' && texts & 2) || (k === 'tool_calls' && toolCalls)) continue;
        hasRest = true;
        break;
      }
      for (let t = 0; t < 2; t++) {
        if (!(texts & (1 << t))) continue;
        const pushed = guard.push(`${t === 0 ? 'c' : 'r'}${index}`, (t === 0 ? delta.content : delta.refusal) as string, { more: ev.more === true });
        const step = pushed instanceof Promise ? await pushed : pushed;
        if (step.blocked) return yield* blocked(step.outcome);
        if (step.release.length > 0) yield* emit(step);
      }
      if (toolCalls) {
        for (const tc of delta.tool_calls as Json[]) {
          const tIndex = typeof tc.index === 'number' ? tc.index : 0;
          const key = `t${index}.${tIndex}`;
          const fn = (tc.function ?? {}) as Json;
          const known = tools.get(key) ?? { choice: index, index: tIndex };
          if (tc.id !== undefined) known.id = tc.id;
          if (tc.type !== undefined) known.type = tc.type;
          if (fn.name !== undefined) known.name = fn.name;
          tools.set(key, known);
          const pushed = guard.push(key, typeof fn.arguments === 'string' ? fn.arguments : '', { holdAll: true });
          const step = pushed instanceof Promise ? await pushed : pushed;
          if (step.blocked) return yield* blocked(step.outcome);
        }
      }
      if (choice.finish_reason || hasRest) {
        const rest: Json = { ...delta };
        if (texts & 1) delete rest.content;
        if (texts & 2) delete rest.refusal;
        if (toolCalls) delete rest.tool_calls;
        if (choice.finish_reason) {
          for (const key of [`c${index}`, `r${index}`, ...[...tools.keys()].filter((k) => k.startsWith(`t${index}.`))]) {
            const step = await guard.finishKey(key);
            if (step.blocked) return yield* blocked(step.outcome);
            yield* emit(step);
          }
          yield* toolChunks(index);
          yield chunk([{ ...choice, index, delta: rest }]);
        } else {
          yield chunk([{ ...choice, index, delta: 'content' in delta ? { ...rest, content: '' } : rest }]);
        }
      }
    }
  }
  const step = await guard.finish();
  if (step.blocked) return yield* blocked(step.outcome);
  yield* emit(step);
  for (const index of seen) yield* toolChunks(index);
  if (usageChunk && opts.includeUsage) yield { data: JSON.stringify(usageChunk) };
  yield { data: '[DONE]' };
}
