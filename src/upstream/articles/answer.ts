/**
 * Text handling shared by the Chat Completions and Responses renderings of
 * an answer: token counts (o200k, the encoding of current OpenAI models),
 * output-token caps, stream deltas and ids.
 */
import { randomBytes } from 'node:crypto';
import { decode, encode } from 'gpt-tokenizer/encoding/o200k_base';

/** What the responder says, ready to render in either wire format. */
export interface Answer {
  /** the text sent to the client, already cut to the output-token cap */
  text: string;
  /** o200k tokens in `text` (one choice) */
  outputTokens: number;
  /** true when `text` was cut at the request's output-token cap */
  truncated: boolean;
  /** o200k estimate of the prompt size (see `countPromptTokens`) */
  inputTokens: number;
  /** stream delta size, in words */
  wordsPerDelta: number;
}

/** Text that looks like a special token ("<|endoftext|>") is counted as plain text, never rejected. */
const ENCODE_OPTIONS = { disallowedSpecial: new Set<string>() };

export function countTokens(text: string): number {
  return text ? encode(text, ENCODE_OPTIONS).length : 0;
}

/**
 * Counts a list of prompt texts (one per message) the way OpenAI's cookbook
 * estimates chat prompts: 3 tokens of framing per message plus 3 for the
 * reply's start. Images and files are not counted.
 */
export function countPromptTokens(messages: readonly string[]): number {
  return messages.reduce((sum, text) => sum + 3 + countTokens(text), 3);
}

/** Cuts `text` to at most `cap` tokens. A cut through a multi-byte character drops the partial character. */
export function capTokens(text: string, cap: number | undefined): { text: string; tokens: number; truncated: boolean } {
  const tokens = encode(text, ENCODE_OPTIONS);
  if (cap === undefined || tokens.length <= cap) return { text, tokens: tokens.length, truncated: false };
  const cut = decode(tokens.slice(0, cap)).replace(/\uFFFD+$/, '');
  return { text: cut, tokens: countTokens(cut), truncated: true };
}

/**
 * Splits `text` into stream deltas of `wordsPerDelta` words, each word
 * keeping the whitespace after it, so the deltas joined give `text` back
 * exactly.
 */
export function splitIntoDeltas(text: string, wordsPerDelta: number): string[] {
  const words = text.split(/(?<=\s)(?=\S)/).filter(Boolean);
  const deltas: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerDelta) deltas.push(words.slice(i, i + wordsPerDelta).join(''));
  return deltas;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random id in OpenAI's style, e.g. `randomId('chatcmpl-')`. 24 random characters; not a secret. */
export function randomId(prefix: string): string {
  let id = prefix;
  for (const byte of randomBytes(24)) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

/** Seconds since the epoch, as OpenAI's `created` fields. */
export function unixSeconds(now = Date.now()): number {
  return Math.floor(now / 1000);
}
