/**
 * The words of a text, looked up in a fixed vocabulary and weighted for a
 * mean: shared by the word vectors (training) and the dense head (scoring),
 * so both read a text identically.
 *
 * Contract: the words of a text are its maximal runs of letters, digits and
 * marks, read from the normalised text (`normalizeText`), so obfuscation
 * undone there is undone here too; runs over MAX_WORD characters are not
 * words. Each known word of frequency rank r (0 = most frequent) weighs
 * r / (r + RANK_SHIFT): frequent words carry little meaning (a smooth inverse
 * frequency weighting, as in Arora et al., "A Simple but Tough-to-Beat
 * Baseline for Sentence Embeddings"). A repeated word adds its weight to its
 * first occurrence, so each distinct word is summed once.
 */

/** Pooling layout version stored in model headers: bump when this contract or a pooled vector's layout changes. */
export const POOLING = 'sif-mean-v1';
export const RANK_SHIFT = 100;
export const MAX_WORD = 40;

/** The distinct known words of the last text collected: `rows[t]` with total weight `weights[t]`, t < distinct. */
export interface WordBag {
  distinct: number;
  /** Known words, with repeats. */
  known: number;
  /** Sum of all weights. */
  weight: number;
  rows: Int32Array;
  weights: Float64Array;
}

export class WordTable {
  /**
   * Open addressing, two Int32 a slot: a 32-bit fingerprint of the word and
   * its row (-1: empty). The slot comes from one hash of the word's UTF-16
   * units and the fingerprint from a second, both computed while the text is
   * scanned: no substring, no string hashing, and one memory access a probe
   * (the table is megabytes; in a busy process every access is a cache miss).
   * Two words of the table with the same slot chain and fingerprint would be
   * indistinguishable, so the less frequent one is left out; an unknown word
   * is taken for a known one only if both its hashes collide with it
   * (about one in four billion lookups).
   */
  private readonly slots: Int32Array;
  private readonly shift: number;
  /** Per row: the call that last saw it, and its slot in the bag in that call. */
  private readonly stamp: Uint32Array;
  private readonly slot: Int32Array;
  private generation = 0;
  private readonly isWord = wordCharTable();
  private readonly bag: WordBag = { distinct: 0, known: 0, weight: 0, rows: new Int32Array(256), weights: new Float64Array(256) };

  /** `words` most frequent first; of two equal spellings the first wins. */
  constructor(words: readonly string[]) {
    let bits = 4;
    while (1 << bits < words.length * 2) bits++;
    this.shift = 32 - bits;
    this.slots = new Int32Array(2 << bits);
    for (let i = 1; i < this.slots.length; i += 2) this.slots[i] = -1;
    const mask = (1 << bits) - 1;
    words.forEach((w, row) => {
      if (w.length === 0 || w.length > MAX_WORD) return;
      const [h, f] = hashes(w);
      let s = h >>> this.shift;
      while (this.slots[2 * s + 1] !== -1) {
        if (this.slots[2 * s] === f) return;
        s = (s + 1) & mask;
      }
      this.slots[2 * s] = f;
      this.slots[2 * s + 1] = row;
    });
    this.stamp = new Uint32Array(words.length);
    this.slot = new Int32Array(words.length);
  }

  /**
   * The lookup table as `collect` probes it, for a kernel that reads texts
   * the same way (`kernels/word-kernel.ts`): (fingerprint, row) pairs, the
   * shift that turns a word's slot hash into its first slot, the number of
   * rows, and which code units are word characters.
   */
  layout(): { slots: Int32Array; shift: number; rows: number; isWord: Uint8Array } {
    return { slots: this.slots, shift: this.shift, rows: this.stamp.length, isWord: this.isWord };
  }

  /** Row of the word with hash `h` and fingerprint `f`, or -1. */
  private find(h: number, f: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let s = h >>> this.shift; ; s = (s + 1) & mask) {
      const row = slots[2 * s + 1]!;
      if (row === -1 || slots[2 * s] === f) return row;
    }
  }

  /** The words of a normalised text (see the module comment). The bag is reused by the next call. */
  collect(normalized: string): WordBag {
    const bag = this.bag;
    let distinct = 0;
    let known = 0;
    let weight = 0;
    const generation = (this.generation = (this.generation + 1) >>> 0 || 1);
    const n = normalized.length;
    const isWord = this.isWord;
    let i = 0;
    while (i < n) {
      while (i < n && isWord[normalized.charCodeAt(i)] !== 1) i++;
      const start = i;
      let h = FNV_BASIS;
      let f = FP_BASIS;
      while (i < n) {
        const c = normalized.charCodeAt(i);
        if (isWord[c] !== 1) break;
        h = Math.imul(h ^ c, FNV_PRIME);
        f = Math.imul(f + c, FP_PRIME) ^ (f >>> 15);
        i++;
      }
      if (i === start || i - start > MAX_WORD) continue;
      const row = this.find(h, f);
      if (row < 0) continue;
      const w = row / (row + RANK_SHIFT);
      weight += w;
      known++;
      if (this.stamp[row] === generation) {
        bag.weights[this.slot[row]!]! += w;
        continue;
      }
      if (distinct === bag.rows.length) grow(bag);
      this.stamp[row] = generation;
      this.slot[row] = distinct;
      bag.rows[distinct] = row;
      bag.weights[distinct] = w;
      distinct++;
    }
    bag.distinct = distinct;
    bag.known = known;
    bag.weight = weight;
    return bag;
  }
}

const FNV_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const FP_BASIS = 0x2545f491;
const FP_PRIME = 0x9e3779b1 | 0;

/** The slot hash (FNV-1a) and the fingerprint of a word, exactly as `collect` computes them while scanning. */
function hashes(word: string): [number, number] {
  let h = FNV_BASIS;
  let f = FP_BASIS;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    h = Math.imul(h ^ c, FNV_PRIME);
    f = Math.imul(f + c, FP_PRIME) ^ (f >>> 15);
  }
  return [h, f];
}

/** The word-count input of a pooled vector. */
export function countFeature(known: number): number {
  return Math.log1p(known) / 5;
}

function grow(bag: WordBag): void {
  const rows = new Int32Array(bag.rows.length * 2);
  rows.set(bag.rows);
  const weights = new Float64Array(rows.length);
  weights.set(bag.weights);
  bag.rows = rows;
  bag.weights = weights;
}

/** Letters, digits and marks: one byte per UTF-16 code unit (lone surrogate halves are none of them). */
let wordChars: Uint8Array | undefined;

/** Built when the first table is (6 ms), not when this module loads. */
function wordCharTable(): Uint8Array {
  if (wordChars === undefined) {
    const re = /[\p{L}\p{N}\p{M}]/u;
    wordChars = new Uint8Array(0x10000);
    for (let c = 0; c < 0x10000; c++) wordChars[c] = re.test(String.fromCharCode(c)) ? 1 : 0;
  }
  return wordChars;
}
