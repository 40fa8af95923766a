/**
 * The benchmark's traffic: 1 KB prompts and the 1 KB answers the mock
 * upstream gives to them, both real English text.
 *
 * The classifiers read one weight-table entry per n-gram, so text built from a
 * few repeated sentences keeps their tables in the CPU cache and understates
 * what real traffic costs. Prompts and answers are therefore passages of the
 * labelled data (../shared/data): everyday chat turns and user prompts for
 * prompts, medical answers for answers, each a run of consecutive records. A
 * passage is kept only if nothing in the default policy would act on it: no
 * digits, `@`, links or characters outside printable ASCII (personal data,
 * secrets, invisible characters), and neither classifier flags it, even at
 * half its default threshold. Each prompt passage goes out with 16 different
 * opening lines (words chosen from a counter, without digits), so a prompt
 * comes again only after several thousand others: far beyond the last 8
 * texts the classifiers remember. The answer is chosen by a hash of the
 * prompt, so a client can tell an intact answer from an altered, truncated or
 * swapped one.
 */
import { loadClassifier } from '../src/classifiers/index.js';
import { loadDataDir } from '../src/classifiers/training/data.js';

export const MODEL = 'gpt-bench';
export const PROMPT_CHARS = 1024;
export const ANSWER_CHARS = 1024;
/** characters per streamed delta: 64 deltas per answer */
export const STREAM_CHUNK_CHARS = 16;

export type Mode = 'json' | 'stream';

/** Whole prompts and answers, PROMPT_CHARS / ANSWER_CHARS long. */
export interface TextPool {
  prompts: string[];
  answers: string[];
}

const PROMPT_DATASETS = ['casual_chat_benign', 'benign_prompts'];
const ANSWER_DATASETS = ['medquad_medical_answers'];
const CLEAN = /^[\x20-\x7e]*$/;
const SUSPECT = /[0-9@]|https?:|www\./i;

/** Each prompt passage is sent with this many opening lines, so a few thousand prompts differ. */
const OPENINGS_PER_PASSAGE = 16;

const CITIES = ['Lisbon', 'Leeds', 'Lyon', 'Utrecht', 'Bergen', 'Porto', 'Graz', 'Ghent', 'Bristol', 'Dijon', 'Turku', 'Malmo', 'Cork', 'Basel', 'Bilbao', 'Aarhus'];
const TOPICS = ['gardening', 'cooking', 'travel', 'music', 'running', 'painting', 'chess', 'baking', 'cycling', 'reading', 'birding', 'sailing', 'knitting', 'hiking', 'pottery', 'films'];
const MOODS = ['curious', 'busy', 'tired', 'cheerful', 'puzzled', 'hopeful', 'relaxed', 'keen', 'calm', 'happy', 'eager', 'bored', 'rushed', 'glad', 'sleepy', 'merry'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'weekend'];

let pool: TextPool | undefined;

/** Sets the passages `promptFor` and `answerFor` use (in every process, from the same pool). */
export function usePool(p: TextPool): void {
  if (p.prompts.length === 0 || p.answers.length === 0) throw new Error('the text pool has no prompts or no answers');
  pool = p;
}

function current(): TextPool {
  if (pool === undefined) throw new Error('usePool() was not called');
  return pool;
}

/** Runs of consecutive clean texts joined up to `chars` characters (a run is cut there), kept if they pass `keep`. */
function passages(texts: readonly string[], chars: number, keep: (text: string) => boolean): string[] {
  const out: string[] = [];
  let run = '';
  for (const raw of texts) {
    // Quotes and backslashes would be escaped in the JSON body: every body must have the same length (see `requestBody`).
    const text = raw.replace(/\s+/g, ' ').replace(/"/g, "'").replace(/\\/g, '/').trim();
    if (!CLEAN.test(text) || SUSPECT.test(text)) continue;
    run = run === '' ? text : `${run} ${text}`;
    if (run.length < chars) continue;
    const passage = run.slice(0, chars);
    run = '';
    if (keep(passage)) out.push(passage);
  }
  return out;
}

/**
 * Builds the pool from the labelled data: passages that no check of the
 * default policy acts on (the shipped classifiers at their default thresholds
 * decide for injection and moderation).
 */
export function buildTextPool(dataDir: string): TextPool {
  const records = loadDataDir(dataDir);
  const of = (datasets: string[]) => records.filter((r) => datasets.includes(r.dataset)).map((r) => r.text);
  const injection = loadClassifier('injection');
  const moderation = loadClassifier('moderation');
  // Half the default threshold: the opening line in front of a prompt varies, and with it the scores a little.
  const flags = (text: string): boolean =>
    [injection, moderation].some((m) => Object.entries(m.score(text)).some(([label, p]) => p >= 0.5 * (m.thresholds[label] ?? 0.5)));
  const prompts: string[] = [];
  passages(of(PROMPT_DATASETS), PROMPT_CHARS, (t) => !flags(t)).forEach((passage, i) => {
    for (let k = 0; k < OPENINGS_PER_PASSAGE; k++) {
      const prompt = (opening(i * OPENINGS_PER_PASSAGE + k) + passage).slice(0, PROMPT_CHARS);
      if (!flags(prompt)) prompts.push(prompt);
    }
  });
  const answers = passages(of(ANSWER_DATASETS), ANSWER_CHARS, (t) => !flags(t));
  if (prompts.length < 100 || answers.length < 100) {
    throw new Error(`too few clean passages in ${dataDir} (${prompts.length} prompts, ${answers.length} answers); is it ../shared/data?`);
  }
  return { prompts, answers };
}

/** An opening line chosen by `n`: distinct for the first 16³ × 8 = 32,768 values. */
function opening(n: number): string {
  return `Hi, ${MOODS[Math.floor(n / 256) % 16]} reader of ${TOPICS[Math.floor(n / 16) % 16]} here, writing from ${CITIES[n % 16]} on a ${DAYS[Math.floor(n / 4096) % 8]}. `;
}

/** The `n`-th prompt: exactly PROMPT_CHARS characters; the same one again only after `pool.prompts.length` others. */
export function promptFor(n: number): string {
  const { prompts } = current();
  return prompts[n % prompts.length]!;
}

/** The answer the mock gives to `prompt`: exactly ANSWER_CHARS characters, chosen by an FNV-1a hash of the prompt. */
export function answerFor(prompt: string): string {
  const { answers } = current();
  let h = 0x811c9dc5;
  for (let i = 0; i < prompt.length; i++) h = Math.imul(h ^ prompt.charCodeAt(i), 0x01000193);
  return answers[(h >>> 0) % answers.length]!;
}

/** The last user message's text of a Chat Completions body. */
export function lastUserText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: unknown; content?: unknown }>) : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'user' && typeof m.content === 'string') return m.content;
  }
  return '';
}

/**
 * A Chat Completions request body for the `n`-th prompt. Streaming asks for usage, so every target gets the same upstream stream.
 * Every body of a mode has the same length (the load generator sets Content-Length once): prompts are
 * PROMPT_CHARS of printable ASCII without characters JSON escapes.
 */
export function requestBody(n: number, mode: Mode): string {
  return JSON.stringify({
    model: MODEL,
    messages: [
      { role: 'system', content: 'You are a helpful assistant. Answer in plain language.' },
      { role: 'user', content: promptFor(n) },
    ],
    max_tokens: 400,
    ...(mode === 'stream' ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** The answer text of a Chat Completions reply (JSON or SSE), or a description of what is wrong with it. */
export function extractAnswer(raw: string, mode: Mode): { ok: true; text: string } | { ok: false; problem: string } {
  if (mode === 'json') {
    try {
      const body = JSON.parse(raw) as { choices?: Array<{ message?: { content?: unknown } }> };
      const text = body.choices?.[0]?.message?.content;
      return typeof text === 'string' ? { ok: true, text } : { ok: false, problem: 'no choices[0].message.content' };
    } catch {
      return { ok: false, problem: 'body is not JSON' };
    }
  }
  let text = '';
  let done = false;
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6);
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    let chunk: { choices?: Array<{ delta?: { content?: unknown } }>; error?: unknown };
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      return { ok: false, problem: 'an SSE data line is not JSON' };
    }
    if (chunk.error) return { ok: false, problem: 'the stream carries an error event' };
    const piece = chunk.choices?.[0]?.delta?.content;
    if (typeof piece === 'string') text += piece;
  }
  return done ? { ok: true, text } : { ok: false, problem: 'the stream ended without [DONE]' };
}
