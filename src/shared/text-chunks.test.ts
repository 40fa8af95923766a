import { describe, expect, it } from 'vitest';
import { textChunks } from './text-chunks.js';

describe('textChunks', () => {
  it.each([
    ['a short text', 'abc', 10, 2, ['abc']],
    ['a text of exactly one chunk', 'abcdefghij', 10, 2, ['abcdefghij']],
    ['a longer text with overlap', 'abcdefghijkl', 5, 2, ['abcde', 'defgh', 'ghijk', 'jkl']],
    ['no overlap', 'abcdefgh', 4, 0, ['abcd', 'efgh']],
  ])('splits %s', (_label, text, size, overlap, expected) => {
    expect(textChunks(text, size, overlap)).toEqual(expected);
  });

  it('covers every character and keeps any passage up to the overlap inside one chunk', () => {
    const text = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const chunks = textChunks(text, 1000, 100);
    expect(chunks.every((c) => c.length <= 1000)).toBe(true);
    expect(chunks[0] + chunks.slice(1).map((c) => c.slice(100)).join('')).toBe(text);
    for (let start = 0; start + 100 <= text.length; start += 37) {
      const passage = text.slice(start, start + 100);
      expect(chunks.some((c) => c.includes(passage))).toBe(true);
    }
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(100);
    for (const c of textChunks(text, 7, 2)) expect([...c].every((ch) => ch === '😀')).toBe(true);
  });
});
