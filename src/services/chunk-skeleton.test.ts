import { describe, expect, it } from 'vitest';
import { contentBySkeleton, skeletonOf } from './chunk-skeleton.js';

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-x', system_fingerprint: 'fp_1' };
const chunk = (content: unknown, extra: Record<string, unknown> = {}, choice: Record<string, unknown> = {}) =>
  JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null, ...choice }], usage: null, ...extra });
const skeleton = (data: string) => skeletonOf(data, JSON.parse(data));

describe('chunk skeleton', () => {
  const s = skeleton(chunk('Hello'))!;

  it('reads the text of chunks that differ only in it, whatever the text holds', () => {
    for (const text of ['world', ' and "quotes" \\ backslashes', 'line\nbreak', 'é 日本 😀', '","refusal":"x', '}]}']) {
      expect(contentBySkeleton(s, chunk(text))).toBe(text);
    }
  });

  it('leaves every other chunk to the full parse', () => {
    const others = [
      chunk('x', {}, { finish_reason: 'stop' }),
      chunk('x', { usage: { prompt_tokens: 1 } }),
      chunk('x', {}, { index: 1 }),
      chunk('x', { id: 'chatcmpl-2' }),
      chunk(''),
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'x', refusal: 'y' }, logprobs: null, finish_reason: null }], usage: null }),
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'x' }, logprobs: null, finish_reason: null }], usage: null }),
      JSON.stringify({ error: { message: 'x' } }),
      // a string that closes the literal early and adds a field must not pass as text
      chunk('x').replace('"x"', '"x","role":"user"'),
      chunk('x').replace('"x"', '"x"   '),
    ];
    for (const data of others) expect(contentBySkeleton(s, data), data).toBeUndefined();
  });

  it('ignores OpenAI\'s obfuscation padding, which differs in every chunk', () => {
    const padded = skeleton(chunk('Hello', { obfuscation: 'aB3' }))!;
    expect(contentBySkeleton(padded, chunk('next', { obfuscation: 'Zq91xYk' }))).toBe('next');
    expect(contentBySkeleton(padded, chunk('next'))).toBe('next');
    expect(contentBySkeleton(padded, chunk('next', { obfuscation: 'has space' }))).toBeUndefined();
  });

  it('makes no skeleton from chunks that carry more than text, or whose text stands twice', () => {
    expect(skeleton(chunk('x', {}, { finish_reason: 'stop' }))).toBeNull();
    expect(skeleton(chunk('gpt-x'))).toBeNull();
    expect(skeleton(chunk(''))).toBeNull();
    expect(skeleton(JSON.stringify({ ...base, choices: [], usage: { total_tokens: 3 } }))).toBeNull();
    // escaping other than JSON.stringify's: the literal is not found, no fast path
    expect(skeleton(chunk('é').replace('é', '\\u00e9'))).toBeNull();
  });
});
