/**
 * Guards a Responses SSE stream. Text deltas (output text, refusals) pass
 * through the StreamGuard; function-call arguments are held until complete.
 * `*.done` events, finished items and the final response are rewritten to the
 * released (possibly redacted) text. Sequence numbers are renumbered because
 * re-chunking changes the number of events. A block ends the stream with
 * `response.incomplete` (reason `content_filter`); the upstream is aborted.
 */
import type { GuardStep, StreamGuard } from '../pipeline/stream-guard.js';
import type { StageOutcome } from '../pipeline/run.js';
import type { SseEvent } from '../upstream/types.js';

type Json = Record<string, unknown>;

export interface ResponsesStreamOptions {
  guard: StreamGuard;
  refusalMessage: string | null;
  onBlock(outcome: StageOutcome): void;
  onUsage(usage: Json): void;
  onUpstreamError(message: string): void;
}

const TEXT_EVENTS: Record<string, { prefix: string; field: 'delta'; done: string; doneField: 'text' | 'refusal' }> = {
  'response.output_text.delta': { prefix: 'o', field: 'delta', done: 'response.output_text.done', doneField: 'text' },
  'response.refusal.delta': { prefix: 'r', field: 'delta', done: 'response.refusal.done', doneField: 'refusal' },
};

const partKey = (prefix: string, e: Json) => `${prefix}${String(e.output_index ?? 0)}.${String(e.content_index ?? 0)}`;

export async function* guardResponsesStream(events: AsyncIterable<SseEvent>, opts: ResponsesStreamOptions): AsyncGenerator<SseEvent> {
  const { guard } = opts;
  let seq = 0;
  let lastResponse: Json | null = null;
  const templates = new Map<string, { type: string; base: Json }>();
  const items = new Map<number, Json>();

  const send = (obj: Json): SseEvent => {
    obj.sequence_number = seq++;
    return { event: String(obj.type), data: JSON.stringify(obj) };
  };
  const emit = (step: Extract<GuardStep, { blocked: false }>): SseEvent[] =>
    step.release
      .filter((r) => templates.has(r.key))
      .map((r) => {
        const t = templates.get(r.key)!;
        return send({ type: t.type, ...t.base, delta: r.text, ...(t.type === 'response.output_text.delta' ? { logprobs: [] } : {}) });
      });
  /** text appended after a block (the refusal message), by key */
  const appended = new Map<string, string>();
  const textOf = (key: string) => guard.releasedText(key) + (appended.get(key) ?? '');
  const releasedFor = (item: Json, outputIndex: number): Json => {
    const copy: Json = { ...item };
    if (Array.isArray(item.content)) {
      copy.content = (item.content as Json[]).map((part, ci) => {
        if (part.type === 'output_text' && templates.has(`o${outputIndex}.${ci}`)) return { ...part, text: textOf(`o${outputIndex}.${ci}`) };
        if (part.type === 'refusal' && templates.has(`r${outputIndex}.${ci}`)) return { ...part, refusal: guard.releasedText(`r${outputIndex}.${ci}`) };
        return part;
      });
    }
    if (item.type === 'function_call' && typeof item.arguments === 'string') copy.arguments = guard.releasedText(`f${outputIndex}`);
    return copy;
  };
  function* blocked(outcome: StageOutcome): Generator<SseEvent> {
    opts.onBlock(outcome);
    if (opts.refusalMessage) {
      // The refusal continues the last text part, or opens a message of its own when no text was sent yet.
      let key = [...templates.keys()].filter((k) => k.startsWith('o')).at(-1);
      if (!key) {
        const index = items.size ? Math.max(...items.keys()) + 1 : 0;
        const item = { type: 'message', id: 'msg_sg_refusal', status: 'in_progress', role: 'assistant', content: [] };
        yield send({ type: 'response.output_item.added', output_index: index, item });
        yield send({ type: 'response.content_part.added', item_id: item.id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
        items.set(index, { ...item, content: [{ type: 'output_text', text: '', annotations: [] }] });
        key = `o${index}.0`;
        templates.set(key, { type: 'response.output_text.delta', base: { item_id: item.id, output_index: index, content_index: 0 } });
      }
      appended.set(key, opts.refusalMessage);
      const t = templates.get(key)!;
      yield send({ type: t.type, ...t.base, delta: opts.refusalMessage, logprobs: [] });
    }
    const output: Json[] = [...items.entries()].sort(([a], [b]) => a - b).map(([i, item]) => ({ ...releasedFor(item, i), status: 'incomplete' }));
    const response = { ...(lastResponse ?? { object: 'response' }), status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output };
    yield send({ type: 'response.incomplete', response });
  }

  for await (const ev of events) {
    if (ev.data === '[DONE]') break;
    let e: Json;
    try {
      e = JSON.parse(ev.data) as Json;
    } catch {
      opts.onUpstreamError('the upstream sent a stream event that is not JSON');
      yield send({ type: 'error', code: 'upstream_error', message: 'The upstream sent an invalid stream event.', param: null });
      return;
    }
    const type = typeof e.type === 'string' ? e.type : ev.event ?? '';
    if (e.response && typeof e.response === 'object') lastResponse = e.response as Json;

    const text = TEXT_EVENTS[type];
    if (text) {
      const key = partKey(text.prefix, e);
      if (!templates.has(key)) templates.set(key, { type, base: { item_id: e.item_id, output_index: e.output_index, content_index: e.content_index } });
      const pushed = guard.push(key, typeof e.delta === 'string' ? e.delta : '', { more: ev.more === true });
      const step = pushed instanceof Promise ? await pushed : pushed;
      if (step.blocked) return yield* blocked(step.outcome);
      yield* emit(step);
      continue;
    }
    switch (type) {
      case 'response.output_text.done':
      case 'response.refusal.done': {
        const key = partKey(type === 'response.output_text.done' ? 'o' : 'r', e);
        const step = await guard.finishKey(key);
        if (step.blocked) return yield* blocked(step.outcome);
        yield* emit(step);
        if (templates.has(key)) e[type === 'response.output_text.done' ? 'text' : 'refusal'] = guard.releasedText(key);
        yield send(e);
        break;
      }
      case 'response.function_call_arguments.delta': {
        const pushed = guard.push(`f${String(e.output_index ?? 0)}`, typeof e.delta === 'string' ? e.delta : '', { holdAll: true });
        const step = pushed instanceof Promise ? await pushed : pushed;
        if (step.blocked) return yield* blocked(step.outcome);
        break;
      }
      case 'response.function_call_arguments.done': {
        const key = `f${String(e.output_index ?? 0)}`;
        const step = await guard.finishKey(key);
        if (step.blocked) return yield* blocked(step.outcome);
        const args = guard.releasedText(key);
        yield send({ type: 'response.function_call_arguments.delta', item_id: e.item_id, output_index: e.output_index, delta: args });
        yield send({ ...e, arguments: args });
        break;
      }
      case 'response.content_part.done': {
        const oi = Number(e.output_index ?? 0);
        const ci = Number(e.content_index ?? 0);
        const part = (e.part ?? {}) as Json;
        if (part.type === 'output_text' && templates.has(`o${oi}.${ci}`)) e.part = { ...part, text: guard.releasedText(`o${oi}.${ci}`) };
        if (part.type === 'refusal' && templates.has(`r${oi}.${ci}`)) e.part = { ...part, refusal: guard.releasedText(`r${oi}.${ci}`) };
        yield send(e);
        break;
      }
      case 'response.output_item.added':
      case 'response.output_item.done': {
        const oi = Number(e.output_index ?? 0);
        if (e.item && typeof e.item === 'object') {
          items.set(oi, e.item as Json);
          if (type === 'response.output_item.done') e.item = releasedFor(e.item as Json, oi);
        }
        yield send(e);
        break;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        const step = await guard.finish();
        if (step.blocked) return yield* blocked(step.outcome);
        yield* emit(step);
        const response = (e.response ?? {}) as Json;
        if (Array.isArray(response.output)) response.output = (response.output as Json[]).map((item, i) => releasedFor(item, i));
        if (response.usage && typeof response.usage === 'object') opts.onUsage(response.usage as Json);
        yield send({ ...e, response });
        break;
      }
      case 'error': {
        const step = await guard.finish();
        if (!step.blocked) yield* emit(step);
        yield send(e);
        return;
      }
      default:
        yield send(e);
    }
  }
  // The provider ended without a terminal event: check and release what is left.
  const step = await guard.finish();
  if (step.blocked) return yield* blocked(step.outcome);
  yield* emit(step);
}
