/**
 * Inline moderation (openai-wire.md §2.6): the generation request itself asks
 * OpenAI for moderation scores of its input and output, so no second call is
 * needed.
 *
 * - Input stage: the request patch `moderation: {model}` goes upstream; the
 *   input is not judged yet (the scores arrive with the response).
 * - Output stage: the response's `moderation.input` and `moderation.output`
 *   results are read (Chat Completions: lists of results; Responses: one
 *   result each). An `error` entry, or a response without the object, is not
 *   a pass: the caller falls back to a Moderation API call or fails.
 * - Streams: the scores come after the whole output, so the proxy holds the
 *   stream and hands its `moderation` object to the output stage
 *   (`services/inline-stream.ts`).
 *
 * OpenAI only: other OpenAI-compatible servers may reject the field.
 */
import type { ClassifiedItem, ModerationResultLike } from '../../pipeline/types.js';
import { toItem } from './provider.js';

type Json = Record<string, unknown>;

export function inlinePatch(model: string): Record<string, unknown> {
  return { moderation: { model } };
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One side (`input` or `output`) of a `moderation` object → items; null when absent or an error. */
function side(value: unknown): ClassifiedItem[] | null {
  if (!isObject(value)) return null;
  if (value.type === 'moderation_result') return [toItem(value as unknown as ModerationResultLike, 'inline')];
  if (value.type === 'moderation_results' && Array.isArray(value.results)) {
    return value.results.map((r) => toItem(r as ModerationResultLike, 'inline'));
  }
  return null;
}

/**
 * Reads the inline moderation results of a Chat Completions or Responses
 * answer (or of the last stream event that carries them). Returns null when
 * either side is missing or holds an error object, so that the caller never
 * treats "no scores" as "clean".
 */
export function readInlineModeration(response: unknown): { input: ClassifiedItem[]; output: ClassifiedItem[] } | null {
  if (!isObject(response)) return null;
  const moderation = isObject(response.response) && isObject(response.response.moderation) ? response.response.moderation : response.moderation;
  if (!isObject(moderation)) return null;
  const input = side(moderation.input);
  const output = side(moderation.output);
  if (!input || !output) return null;
  return { input, output };
}
