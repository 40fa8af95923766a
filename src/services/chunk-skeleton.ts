/**
 * A fast path for the chunks that make up almost all of a Chat Completions
 * stream: one choice whose delta is only some text. Within one stream such
 * chunks are the same bytes but for the text (same id, model, fingerprint,
 * index, nulls), so after one is parsed in full, the next ones are read by
 * checking that everything around the text is byte for byte the same and
 * parsing only the text's JSON string literal.
 *
 * Contract: `contentBySkeleton` returns a text only when the chunk is exactly
 * the skeleton's chunk with another JSON string in the content's place, so
 * the caller may treat it as that chunk with that content (the `obfuscation`
 * padding aside, which the guard drops in any case); anything else
 * (other fields, a finish reason, usage, an error, another escaping of the
 * surrounding bytes) returns undefined and goes through `JSON.parse`.
 */
type Json = Record<string, unknown>;

export interface Skeleton {
  /** the chunk's bytes before and after the content's string literal */
  readonly prefix: string;
  readonly suffix: string;
  /** the choice's index */
  readonly index: number;
}

const CHOICE_KEYS = new Set(['index', 'delta', 'logprobs', 'finish_reason']);

/** OpenAI's per-chunk random padding, always the last field; it differs in every chunk and Safegate drops it anyway. */
const OBFUSCATION = /,"obfuscation":"[A-Za-z0-9_-]{0,256}"\}$/;

/** The chunk without a trailing `obfuscation` field (the closing brace kept). */
function withoutObfuscation(data: string): string {
  const at = data.lastIndexOf(',"obfuscation":"');
  return at > 0 && OBFUSCATION.test(data.slice(at)) ? data.slice(0, at) + '}' : data;
}

/** The skeleton of a parsed chunk that carries only text for one choice, or null. */
export function skeletonOf(raw: string, parsed: Json): Skeleton | null {
  const data = withoutObfuscation(raw);
  if (parsed.error !== undefined || (parsed.usage !== undefined && parsed.usage !== null)) return null;
  const choices = parsed.choices;
  if (!Array.isArray(choices) || choices.length !== 1) return null;
  const choice = choices[0] as Json;
  if (typeof choice !== 'object' || choice === null || typeof choice.index !== 'number') return null;
  for (const k in choice) if (!CHOICE_KEYS.has(k)) return null;
  if ((choice.finish_reason ?? null) !== null || (choice.logprobs ?? null) !== null) return null;
  const delta = choice.delta as Json;
  if (typeof delta !== 'object' || delta === null) return null;
  let keys = 0;
  for (const k in delta) if (k !== 'content' || ++keys > 1) return null;
  if (typeof delta.content !== 'string' || delta.content === '') return null;
  const literal = JSON.stringify(delta.content);
  const at = data.indexOf(literal);
  // The provider may escape differently from JSON.stringify, or the same literal may stand elsewhere: then no fast path.
  if (at < 0 || data.lastIndexOf(literal) !== at) return null;
  return { prefix: data.slice(0, at), suffix: data.slice(at + literal.length), index: choice.index };
}

/** The text of a chunk that is the skeleton's chunk with another non-empty string as content; else undefined. */
export function contentBySkeleton(s: Skeleton, raw: string): string | undefined {
  const data = withoutObfuscation(raw);
  const end = data.length - s.suffix.length;
  if (end - s.prefix.length < 3 || !data.startsWith(s.prefix) || !data.endsWith(s.suffix)) return undefined;
  if (data.charCodeAt(s.prefix.length) !== 34 || data.charCodeAt(end - 1) !== 34) return undefined;
  let text: unknown;
  try {
    text = JSON.parse(data.slice(s.prefix.length, end));
  } catch {
    return undefined;
  }
  return typeof text === 'string' && text !== '' ? text : undefined;
}
