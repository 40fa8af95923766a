/**
 * Inline moderation on streams (openai-wire.md §2.6): the provider sends the
 * moderation scores only after the whole output, in a last chunk (Chat
 * Completions) or inside the terminal `response.completed` event (Responses).
 * No text may reach the client before it is judged, so the upstream stream is
 * held whole, its scores read, and the events then replayed through the
 * stream guard with the scores at hand: one judgement, no second call.
 *
 * The cost is that the client's first byte waits for the whole answer. The
 * hold is bounded (`INLINE_HOLD_MAX_CHARS`); a longer answer is refused, never
 * released unjudged.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { SseEvent } from '../upstream/types.js';

type Json = Record<string, unknown>;

/** Most characters of event data held while waiting for the scores (far beyond any answer's token ceiling). */
export const INLINE_HOLD_MAX_CHARS = 8 * 1024 * 1024;

/** Whether any of the output checks is moderation on the inline back-end. */
export function usesInlineModeration(checks: readonly { definition: { id: string }; config: unknown }[]): boolean {
  return checks.some((c) => c.definition.id === 'moderation' && (c.config as { backend?: unknown }).backend === 'inline');
}

export interface HeldStream {
  /** The upstream events, with the moderation object removed unless the client asked for it. */
  events: SseEvent[];
  /** The `moderation` object of the answer, or null when the provider sent none. */
  moderation: Json | null;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads the whole upstream stream. `forClient`: the client asked for inline
 * moderation itself, so the scores stay in its stream.
 * @throws GatewayError `upstream_error` when the answer exceeds the hold limit.
 */
export async function holdForInlineModeration(events: AsyncIterable<SseEvent>, forClient: boolean, maxChars = INLINE_HOLD_MAX_CHARS): Promise<HeldStream> {
  const held: SseEvent[] = [];
  let chars = 0;
  let moderation: Json | null = null;
  for await (const ev of events) {
    chars += ev.data.length;
    if (chars > maxChars) {
      throw new GatewayError('UPSTREAM_ERROR', {
        message: `The streamed answer is longer than inline moderation can hold (${maxChars} characters); choose another moderation back-end for answers this long.`,
      });
    }
    if (ev.data === '[DONE]' || !ev.data.includes('"moderation"')) {
      held.push(ev);
      continue;
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(ev.data) as Json;
    } catch {
      held.push(ev);
      continue;
    }
    // Chat Completions: a chunk's own `moderation`; Responses: the terminal event's `response.moderation`.
    const owner = isObject(parsed.moderation) ? parsed : isObject(parsed.response) && isObject(parsed.response.moderation) ? parsed.response : null;
    if (!owner) {
      held.push(ev);
      continue;
    }
    moderation = owner.moderation as Json;
    if (forClient) {
      held.push(ev);
      continue;
    }
    delete owner.moderation;
    // A chunk that only carried the scores is dropped; any other keeps its remaining content.
    const onlyScores = owner === parsed && Array.isArray(parsed.choices) && parsed.choices.length === 0 && !parsed.usage;
    if (!onlyScores) held.push({ ...ev, data: JSON.stringify(parsed) });
  }
  return { events: held, moderation };
}

/** The held events as the async stream the guards read; all are at hand, so each but the last says more is waiting. */
export async function* replay(events: readonly SseEvent[]): AsyncGenerator<SseEvent> {
  for (let i = 0; i < events.length; i++) yield { ...events[i]!, more: i + 1 < events.length };
}
