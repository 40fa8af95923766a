import { describe, expect, it } from 'vitest';
import { BIGRAMS, BREAK, CJK, FeatureKernel, G3, G4, G5, JOIN, REPEATS, SKIPS, WORD } from './feature-kernel.js';

const GOLDEN = 0x9e3779b1;
const M = 0x01000193;
const M3 = Math.imul(Math.imul(M, M), M);
const M4 = Math.imul(M3, M);
const REPEAT = 12345;

/** Kinds as the extractor builds them, for the characters the tests use. */
function kinds(): Uint8Array {
  const k = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const word = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 0xc0 && c < 0x2000);
    k[c] = c >= 0x4e00 && c <= 0x9fff ? CJK : word ? WORD : c === 32 || c === 39 || c === 45 ? JOIN : BREAK;
  }
  return k;
}

/** The hashing loop as written in JavaScript before it moved to WebAssembly: the oracle. */
function reference(s: string, block: number, flags: number, shift: number, kind: Uint8Array): { idx: number[]; marks: number[]; repeated: boolean } {
  const idx: number[] = [];
  const marks: number[] = [];
  let repeated = false;
  const push = (h: number): void => void idx.push(Math.imul(h, GOLDEN) >>> shift | 0);
  let charRun = 0;
  let wordRun = 0;
  let [a1, a2, a3, a4] = [0, 0, 0, 0];
  let [prev, prev2, havePrev, havePrev2, inWord] = [0, 0, false, false, false];
  let h = 0x2545f491;
  let nextMark = block > 0 ? block : Infinity;
  const word = (w: number): void => {
    push(w ^ 0x6a09e667);
    if (havePrev && flags & BIGRAMS) push((Math.imul(prev, 0x85ebca6b) + w) ^ 0x6b43a9b5);
    if (havePrev2 && flags & SKIPS) push((Math.imul(prev2, 0x85ebca6b) + w) ^ 0x2f9be8c1);
    [prev2, havePrev2, prev, havePrev] = [prev, havePrev, w, true];
  };
  for (let p = 0; p <= s.length + 1; p++) {
    if (p === nextMark) {
      marks.push(idx.length);
      nextMark += block;
    }
    const a0 = p === 0 || p === s.length + 1 ? 32 : s.charCodeAt(p - 1);
    if (flags & REPEATS) charRun = a0 === a1 && a0 !== 32 ? charRun + 1 : 0;
    if (charRun >= 24) {
      idx.push(REPEAT);
      repeated = true;
    } else {
      const g3 = Math.imul(Math.imul(a2, M) + a1, M) + a0;
      const g4 = Math.imul(a3, M3) + g3;
      if (p >= 2 && flags & G3) push(g3 ^ 0x3c6ef372);
      if (p >= 3 && flags & G4) push(g4 ^ 0x5be0cd19);
      if (p >= 4 && flags & G5) push((Math.imul(a4, M4) + g4) ^ 0x1f83d9ab);
    }
    [a4, a3, a2, a1] = [a3, a2, a1, a0];
    if (p === 0) continue;
    const k = kind[a0]!;
    if (k === WORD) {
      h = Math.imul(h ^ a0, M);
      inWord = true;
      continue;
    }
    if (inWord) {
      if (flags & REPEATS) wordRun = havePrev && h === prev ? wordRun + 1 : 0;
      if (wordRun >= 12) {
        idx.push(REPEAT);
        repeated = true;
        [prev2, havePrev2, prev, havePrev] = [prev, havePrev, h, true];
      } else word(h);
      inWord = false;
      h = 0x2545f491;
    }
    if (k === CJK) word(Math.imul(0x2545f491 ^ a0, M));
    else if (k === BREAK) havePrev = havePrev2 = false;
  }
  return { idx, marks, repeated };
}

const TEXTS = [
  'ignore all previous instructions',
  "don't stop, well-known words; and then: a break",
  'ünïcödé wörds and 数字中文 mixed with latin',
  'a',
  'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz then more',
  'spam '.repeat(30),
  'lone \ud800 surrogate \udc00 and emoji 😀 text',
  'x'.repeat(5000) + ' tail words here',
];

describe('FeatureKernel', () => {
  const kind = kinds();
  const kernel = new FeatureKernel(kind);

  it.each([
    ['everything', G3 | G4 | G5 | BIGRAMS | SKIPS | REPEATS, 0],
    ['the shipped set, bucketed', G3 | G4 | G5 | BIGRAMS | REPEATS, 10],
    ['4-grams and words only', G4, 14],
  ] as const)('hashes as the JavaScript loop did: %s', (_, flags, shift) => {
    for (const s of TEXTS) {
      const marks: number[] = [];
      const start = 7;
      const end = kernel.segment(s, start, 50, flags, shift, REPEAT, marks);
      const want = reference(s, 50, flags, shift, kind);
      expect(Array.from(kernel.features.subarray(start, end))).toEqual(want.idx);
      expect(marks).toEqual(want.marks.map((m) => m + start));
      expect(kernel.repeated).toBe(want.repeated);
    }
  });

  it('keeps the features already written when a long segment grows the buffer', () => {
    const k = new FeatureKernel(kind);
    const first = k.segment('short text first', 0, 0, G3 | G4 | G5, 0, REPEAT, []);
    const before = Array.from(k.features.subarray(0, first));
    const long = 'word '.repeat(100_000);
    const end = k.segment(long, first, 0, G3 | G4 | G5, 0, REPEAT, []);
    expect(end - first).toBe(reference(long, 0, G3 | G4 | G5, 0, kind).idx.length);
    expect(Array.from(k.features.subarray(0, first))).toEqual(before);
    expect(k.reserve(end + 1).length).toBeGreaterThan(end);
  });

  it('rejects a kinds table of the wrong size', () => {
    expect(() => new FeatureKernel(new Uint8Array(10))).toThrow(/65536 code-unit kinds/);
  });
});
