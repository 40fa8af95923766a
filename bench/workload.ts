/**
 * The benchmark's traffic: 1 KB prompts of ordinary English and the 1 KB
 * answers the mock upstream gives to them.
 *
 * Every request carries a different prompt (three words chosen from a counter,
 * without digits, so no PII detector mistakes the variation for a phone or card
 * number) to defeat any cache keyed by text. The answer is derived from the
 * prompt, so a client can tell an intact answer from an altered or truncated one.
 */

export const MODEL = 'gpt-bench';
export const PROMPT_CHARS = 1024;
export const ANSWER_CHARS = 1024;
/** characters per streamed delta: 64 deltas per answer */
export const STREAM_CHUNK_CHARS = 16;

export type Mode = 'json' | 'stream';

const CITIES = ['Lisbon', 'Leeds', 'Lyon', 'Utrecht', 'Bergen', 'Porto', 'Graz', 'Ghent', 'Bristol', 'Dijon', 'Turku', 'Malmo', 'Cork', 'Basel', 'Bilbao', 'Aarhus'];
const PLANTS = ['tomatoes', 'courgettes', 'runner beans', 'lettuce', 'kale', 'leeks', 'peppers', 'chard', 'onions', 'garlic', 'carrots', 'beetroot', 'spinach', 'radishes', 'peas', 'parsnips'];
const HERBS = ['basil', 'thyme', 'rosemary', 'mint', 'sage', 'parsley', 'chives', 'dill', 'oregano', 'coriander', 'fennel', 'lovage', 'tarragon', 'sorrel', 'marjoram', 'savory'];
const SOILS = ['sandy', 'clay', 'loamy', 'chalky', 'peaty', 'silty', 'stony', 'heavy', 'light', 'acid', 'limy', 'dark', 'red', 'black', 'rich', 'thin'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'weekend'];

const PROMPT_BODY =
  'The beds are raised, about forty centimetres deep, filled with a mix of garden soil and compost from last autumn. ' +
  'The spot gets full sun in the morning and partial shade after three in the afternoon, because a neighbour has a tall hedge. ' +
  'Last year the leaves turned yellow in midsummer and the harvest was smaller than I hoped, even though I watered every evening. ' +
  'I would like a simple plan for the coming season: what to sow and when, how often to water during a dry spell, ' +
  'whether I should rotate the crops between the two beds, and which companion plants might keep pests away without sprays. ' +
  'Please keep the advice practical for someone who has about an hour a week for the garden and no greenhouse. ' +
  'I also wonder whether mulching with straw is worth the effort, and how to tell if the soil needs more organic matter. ' +
  'Thank you for any help, and feel free to suggest a short reading list for a beginner.';

const ANSWER_BODY =
  'Start by refreshing the beds with a few centimetres of compost in early spring and fork it lightly into the top layer. ' +
  'Sow the hardy crops first and the tender ones after the last frost, and water deeply twice a week rather than a little every evening, ' +
  'since deep watering trains the roots downwards and keeps the leaves healthier in midsummer. ' +
  'Rotate the families between the two beds each year, and plant marigolds and nasturtiums along the edges to distract aphids. ' +
  'A straw mulch is worth the effort: it keeps moisture in, suppresses weeds and feeds the soil as it breaks down. ' +
  'If the soil crumbles easily and smells earthy, it is in good shape; if it crusts or stays wet for days, add more organic matter. ' +
  'For reading, any beginner guide to vegetable growing from your local library will do, and a seasonal sowing calendar helps a lot.';

function pad(text: string, chars: number): string {
  if (text.length >= chars) return text.slice(0, chars);
  const filler = ' Happy gardening.';
  let out = text;
  while (out.length < chars) out += filler;
  return out.slice(0, chars);
}

/** Five words picked by `n`; distinct for the first 16⁴ × 8 = 524,288 values (far more than one run sends). */
function words(n: number): { city: string; plant: string; herb: string; soil: string; day: string } {
  return {
    city: CITIES[n % 16]!,
    plant: PLANTS[Math.floor(n / 16) % 16]!,
    herb: HERBS[Math.floor(n / 256) % 16]!,
    soil: SOILS[Math.floor(n / 4096) % 16]!,
    day: DAYS[Math.floor(n / 65536) % 8]!,
  };
}

/** The `n`-th prompt: exactly PROMPT_CHARS characters. */
export function promptFor(n: number): string {
  const w = words(n);
  return pad(`Hello! I keep a small vegetable garden in ${w.city} with ${w.soil} soil, and this year I want to grow ${w.plant} next to ${w.herb}, working on it every ${w.day}. ${PROMPT_BODY}`, PROMPT_CHARS);
}

const PROMPT_PATTERN = /garden in (\w+) with (\w+) soil, and this year I want to grow ([\w ]+?) next to (\w+), working on it every (\w+)\./;

/** The answer the mock gives to `prompt`: exactly ANSWER_CHARS characters. */
export function answerFor(prompt: string): string {
  const m = PROMPT_PATTERN.exec(prompt);
  const [city, soil, plant, herb, day] = m ? [m[1], m[2], m[3], m[4], m[5]] : ['your town', 'your', 'vegetables', 'herbs', 'week'];
  return pad(`Growing ${plant} beside ${herb} in the ${soil} soil of ${city} works well, and an hour of work every ${day} is plenty. ${ANSWER_BODY}`, ANSWER_CHARS);
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

/** A Chat Completions request body for the `n`-th prompt. Streaming asks for usage, so every target gets the same upstream stream. */
export function requestBody(n: number, mode: Mode): string {
  return JSON.stringify({
    model: MODEL,
    messages: [
      { role: 'system', content: 'You help home gardeners. Answer in plain language.' },
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
