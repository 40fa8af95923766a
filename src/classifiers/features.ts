/**
 * Hashed text features shared by training and inference.
 *
 * A text is normalised (see `normalize.ts`), then turned into a bag of hashed
 * features: word unigrams and bigrams, and character n-grams over the
 * normalised text. Each decoded payload (base64, rot13, ...) contributes the
 * same kinds of features plus one marker feature for its encoding, so a
 * payload is scored like plain text and the encoding itself is only a weak hint.
 *
 * Contract: `FeatureExtractor.extract` is deterministic for a given
 * `FeatureSpec`; a model stores its spec, and changing the hashing here
 * requires a new `version` (models check it at load time).
 */
import { normalizeText } from './normalize.js';

export { normalizeText, foldText } from './normalize.js';
export type { NormalizedText } from './normalize.js';

/** How a model turns text into hashed features. Stored inside every model file. */
export interface FeatureSpec {
  /** Hashing scheme version; bump on any change to normalisation or hashing. */
  version: 1;
  /** log2 of the number of hash buckets. */
  bits: number;
  /** Character n-gram lengths, inclusive, within 3..5. `charMax < charMin` disables them. */
  charMin: number;
  charMax: number;
  /** Word n-grams up to this order (1 or 2). */
  wordNgrams: number;
}

export const FEATURE_VERSION = 1;

const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_BASIS = 0x2545f491;
const MARKER_BASIS = 0x1b873593;
/** Fibonacci hashing: the top `bits` of h * 2^32/phi index the buckets. */
const GOLDEN = 0x9e3779b1;
const CHAR_MUL = 0x01000193;
const CHAR_MUL3 = Math.imul(Math.imul(CHAR_MUL, CHAR_MUL), CHAR_MUL);
const CHAR_MUL4 = Math.imul(CHAR_MUL3, CHAR_MUL);
const BIGRAM_MUL = 0x85ebca6b;
const SALT3 = 0x3c6ef372;
const SALT4 = 0x5be0cd19;
const SALT5 = 0x1f83d9ab;
const SALT_WORD = 0x6a09e667;
const SALT_BIGRAM = 0x6b43a9b5;
const SALT_MARKER = 0x510e527f;

/** FNV-1a of a string's UTF-16 code units with a custom basis. */
export function hashString(s: string, basis = FNV_BASIS): number {
  let h = basis;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** Ideographs and kana: each character is its own word (no spaces in CJK text). */
function isCjk(c: number): boolean {
  return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xf900 && c <= 0xfaff);
}

/** Letters and digits of any script; punctuation blocks and surrogates (emoji) are not. */
function isWordChar(c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  if (c < 0xc0) return c === 0xaa || c === 0xb5 || c === 0xba;
  if (c === 0xd7 || c === 0xf7) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false;
  if (c >= 0x3000 && c <= 0x303f) return false;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  if (c >= 0xfe30 && c <= 0xfe4f) return false;
  if (c >= 0xff00 && c <= 0xff20) return false;
  return true;
}

/**
 * Reusable feature extractor. Not thread-safe: `extract` returns a view into
 * an internal buffer that the next call overwrites.
 */
export class FeatureExtractor {
  readonly spec: FeatureSpec;
  private readonly shift: number;
  private buf: Int32Array;
  private n = 0;

  constructor(spec: FeatureSpec) {
    if (spec.version !== FEATURE_VERSION) throw new Error(`unsupported feature version ${spec.version}`);
    if (!Number.isInteger(spec.bits) || spec.bits < 8 || spec.bits > 26) throw new Error('bits must be 8..26');
    this.spec = spec;
    this.shift = 32 - spec.bits;
    this.buf = new Int32Array(4096);
  }

  /**
   * Bucket indices of all features of `text` (with repetition: a feature
   * occurring twice appears twice). The view is valid until the next call.
   */
  extract(text: string): Int32Array {
    this.n = 0;
    const norm = normalizeText(text);
    this.addSegment(norm.text);
    for (const span of norm.decoded) {
      this.pushHash(hashString(span.kind, MARKER_BASIS) ^ SALT_MARKER);
      this.addSegment(span.text);
    }
    return this.buf.subarray(0, this.n);
  }

  private ensure(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + extra) size *= 2;
    const next = new Int32Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  private pushHash(h: number): void {
    this.ensure(1);
    this.buf[this.n++] = Math.imul(h, GOLDEN) >>> this.shift;
  }

  /**
   * Word unigrams/bigrams and character n-grams of one folded segment, in one
   * pass. Character n-grams run over " text " (so word edges are part of the
   * grams), hashed polynomially over the last five code units.
   */
  private addSegment(s: string): void {
    const len = s.length;
    if (len === 0) return;
    this.ensure(5 * (len + 2) + 8);
    const buf = this.buf;
    let n = this.n;
    const shift = this.shift;
    const bigrams = this.spec.wordNgrams >= 2;
    const g3on = this.spec.charMin <= 3 && this.spec.charMax >= 3;
    const g4on = this.spec.charMin <= 4 && this.spec.charMax >= 4;
    const g5on = this.spec.charMin <= 5 && this.spec.charMax >= 5;
    let prev = 0;
    let havePrev = false;
    let h = WORD_BASIS;
    let inWord = false;
    // a0 is the newest code unit of the window, a4 the oldest
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    for (let p = 0; p <= len + 1; p++) {
      const a0 = p === 0 || p === len + 1 ? 32 : s.charCodeAt(p - 1);
      const g3 = Math.imul(Math.imul(a2, CHAR_MUL) + a1, CHAR_MUL) + a0;
      const g4 = Math.imul(a3, CHAR_MUL3) + g3;
      if (p >= 2 && g3on) buf[n++] = Math.imul(g3 ^ SALT3, GOLDEN) >>> shift;
      if (p >= 3 && g4on) buf[n++] = Math.imul(g4 ^ SALT4, GOLDEN) >>> shift;
      if (p >= 4 && g5on) buf[n++] = Math.imul((Math.imul(a4, CHAR_MUL4) + g4) ^ SALT5, GOLDEN) >>> shift;
      a4 = a3;
      a3 = a2;
      a2 = a1;
      a1 = a0;
      if (p === 0) continue;
      const c = a0;
      const cjk = c >= 0x3040 && isCjk(c);
      if (!cjk && isWordChar(c)) {
        h = Math.imul(h ^ c, FNV_PRIME);
        inWord = true;
        continue;
      }
      if (inWord) {
        buf[n++] = Math.imul(h ^ SALT_WORD, GOLDEN) >>> shift;
        if (havePrev && bigrams) buf[n++] = Math.imul((Math.imul(prev, BIGRAM_MUL) + h) ^ SALT_BIGRAM, GOLDEN) >>> shift;
        prev = h;
        havePrev = true;
        inWord = false;
        h = WORD_BASIS;
      }
      if (cjk) {
        const w = Math.imul(WORD_BASIS ^ c, FNV_PRIME);
        buf[n++] = Math.imul(w ^ SALT_WORD, GOLDEN) >>> shift;
        if (havePrev && bigrams) buf[n++] = Math.imul((Math.imul(prev, BIGRAM_MUL) + w) ^ SALT_BIGRAM, GOLDEN) >>> shift;
        prev = w;
        havePrev = true;
      } else if (c !== 32 && c !== 39 && c !== 45) {
        havePrev = false;
      }
    }
    this.n = n;
  }
}
