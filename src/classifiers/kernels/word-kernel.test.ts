import { describe, expect, it } from 'vitest';
import { WordTable } from '../word-table.js';
import { WordKernel } from './word-kernel.js';

/** A deterministic generator, so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABETS = ['abcdefghijklmnopqrstuvwxyz', 'абвгдежзиклмнопрст', '日本語中文字', 'αβγδεζηθ', '0123456789', 'éàü'];

function vocabulary(n: number, rnd: () => number): string[] {
  const words = new Set<string>();
  while (words.size < n) {
    const alphabet = ALPHABETS[Math.floor(rnd() * ALPHABETS.length)]!;
    const len = 1 + Math.floor(rnd() * 9);
    let w = '';
    for (let i = 0; i < len; i++) w += alphabet[Math.floor(rnd() * alphabet.length)]!;
    words.add(w);
  }
  // A word over 40 code units is never looked up; one in the vocabulary must not match anything.
  return [...words, 'x'.repeat(41)];
}

const SEPARATORS = [' ', '  ', ', ', '.\n', '-', "'", '\u200b', '\ud800', '!?'];

/** Text made of vocabulary words, unknown words, over-long runs and assorted separators. */
function text(vocab: readonly string[], words: number, rnd: () => number): string {
  let t = rnd() < 0.5 ? ' ' : '';
  for (let i = 0; i < words; i++) {
    const r = rnd();
    if (r < 0.7) t += vocab[Math.floor(rnd() * Math.min(vocab.length, 1 + rnd() * vocab.length))]!;
    else if (r < 0.9) t += `zq${Math.floor(rnd() * 1e6)}`;
    else if (r < 0.95) t += 'y'.repeat(40 + Math.floor(rnd() * 3));
    else t += vocab[0]! + vocab[1]!;
    t += SEPARATORS[Math.floor(rnd() * SEPARATORS.length)]!;
  }
  return t;
}

/** The JavaScript the kernel replaced: `WordTable.collect`, then each distinct word's row times its weight, in order. */
function reference(table: WordTable, rows: Int8Array, hidden: number, s: string): { known: number; weight: number; out: number[] } {
  const bag = table.collect(s);
  const out = new Float64Array(hidden);
  for (let t = 0; t < bag.distinct; t++) {
    const base = bag.rows[t]! * hidden;
    const w = bag.weights[t]!;
    for (let j = 0; j < hidden; j++) out[j]! += w * rows[base + j]!;
  }
  return { known: bag.known, weight: bag.weight, out: [...out] };
}

function randomTable(words: number, hidden: number, rnd: () => number): Int8Array {
  return Int8Array.from({ length: words * hidden }, () => Math.floor(rnd() * 256) - 128);
}

describe('word kernel', () => {
  it.each([5, 8, 16, 32])('pools exactly as the JavaScript does (hidden %i)', (hidden) => {
    const rnd = lcg(hidden);
    const vocab = vocabulary(3000, rnd);
    const rows = randomTable(vocab.length, hidden, rnd);
    const table = new WordTable(vocab);
    const kernel = new WordKernel(vocab, rows, hidden);
    const texts = ['', ' ', '\ud800', 'x'.repeat(41), vocab[0]!, `${vocab[5]!} ${vocab[5]!} ${vocab[5]!}`];
    for (let i = 0; i < 300; i++) texts.push(text(vocab, Math.floor(rnd() * (i < 290 ? 60 : 3000)), rnd));
    let matched = 0;
    for (const s of texts) {
      const want = reference(table, rows, hidden, s);
      const got = kernel.pool(s);
      expect({ known: got.known, weight: got.weight, out: [...kernel.out] }, s.slice(0, 80)).toEqual(want);
      if (want.known > 0) matched++;
    }
    // The texts exercise the lookup, not only the empty path.
    expect(matched).toBeGreaterThan(290);
  });

  it('forgets the previous text: a word seen in one call is new in the next', () => {
    const vocab = ['alpha', 'beta', 'gamma'];
    const rows = Int8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    const kernel = new WordKernel(vocab, rows, 8);
    kernel.pool('beta beta gamma');
    const second = kernel.pool('beta');
    const w = 1 / 101;
    expect(second).toEqual({ known: 1, weight: w });
    expect([...kernel.out]).toEqual([0, w, 0, 0, 0, 0, 0, 0]);
  });

  it('grows its memory for a long text and keeps working for short ones', () => {
    const vocab = vocabulary(500, lcg(7));
    const rows = randomTable(vocab.length, 16, lcg(8));
    const table = new WordTable(vocab);
    const kernel = new WordKernel(vocab, rows, 16);
    const long = text(vocab, 200_000, lcg(9));
    for (const s of ['short text', long, vocab.slice(0, 20).join(' ')]) {
      const want = reference(table, rows, 16, s);
      const got = kernel.pool(s);
      expect({ known: got.known, weight: got.weight, out: [...kernel.out] }).toEqual(want);
    }
  });

  it('rejects a table that does not match the vocabulary', () => {
    expect(() => new WordKernel(['a', 'b'], new Int8Array(15), 8)).toThrow(/expected 16 table values/);
    expect(() => new WordKernel(['a'], new Int8Array(0), 0)).toThrow(/positive integer/);
  });
});
