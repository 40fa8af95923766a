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
import { BIGRAMS, CJK, FeatureKernel, G3, G4, G5, JOIN, REPEATS, SKIPS, WORD, BREAK } from './kernels/feature-kernel.js';
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
  /** Also pairs of words one word apart ("kill _ process"), which tie a verb to its object. */
  skipBigrams?: boolean;
  /**
   * Repeated-token attacks: past 24 repeats of one character, or 12 of one
   * word, in a row, each further repeat yields one marker feature instead of
   * its (identical) n-grams, so long runs read as "repetition" rather than as
   * whatever the repeated character happens to be.
   */
  repeatMarker?: boolean;
}

export const FEATURE_VERSION = 1;

// The n-gram and word hashing constants (multipliers, salts) live in `kernels/features.wat`.
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const MARKER_BASIS = 0x1b873593;
/** Fibonacci hashing: the top `bits` of h * 2^32/phi index the buckets. */
const GOLDEN = 0x9e3779b1;
const SALT_REPEAT = 0x7c1a4e93;
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

/** The kind of every code unit, so the hashing loop classifies a character with one load. */
const CHAR_KIND = new Uint8Array(0x10000);
for (let c = 0; c < 0x10000; c++) {
  CHAR_KIND[c] = c >= 0x3040 && isCjk(c) ? CJK : isWordChar(c) ? WORD : c === 32 || c === 39 || c === 45 ? JOIN : BREAK;
}

/** Appends `offset` to the first `nb` bounds unless it is not past the last; returns the new count. */
function addBound(bounds: Int32Array, at: Int32Array, nb: number, offset: number): number {
  if (nb > 0 && bounds[nb - 1]! >= offset) return nb;
  at[offset] = nb;
  bounds[nb] = offset;
  return nb + 1;
}

/**
 * Spans of a long text that are scored on their own (see `Extraction.ranges`).
 * The normalised text is cut into blocks of `block` characters; a window
 * covers `size` consecutive blocks and windows start every `stride` blocks.
 */
export interface WindowSpec {
  block: number;
  sizes: number[];
  stride: number;
}

/** Features of one text. Views into the extractor's buffers, valid until its next call. */
export interface Extraction {
  /** Bucket indices of all features, with repetition, in text order. */
  idx: Int32Array;
  /**
   * Pairs [start, end) of feature offsets to score separately: first the whole
   * text, then windows of the main text (when it is longer than the smallest
   * window), then each decoded payload on its own.
   */
  ranges: Int32Array;
  /**
   * Offsets at which running sums are taken, ascending and without repeats:
   * every offset that starts or ends a range, and possibly others.
   */
  bounds: Int32Array;
  /** `ranges` with each offset replaced by its position in `bounds`. */
  spans: Int32Array;
  /** The normalised main text (`normalizeText(text).text`), which the dense head reads words from. */
  text: string;
  /**
   * A repeat marker replaced n-grams somewhere (only with `repeatMarker`).
   * When false, the extraction equals that of the same spec without markers.
   */
  repeated: boolean;
}

export interface ExtractorOptions {
  /**
   * Keep full 32-bit hashes instead of bucket indices; a model with `bits` b
   * takes bucket `hash >>> (32 - b)`, the same bucket as a `bits: b` extractor
   * gives. Lets models with different table sizes share one extraction.
   */
  raw?: boolean;
}

/** Throws when a model's feature spec or window spec is not one this code can extract. */
export function checkFeatureSpec(spec: FeatureSpec, windows?: WindowSpec): void {
  if (spec.version !== FEATURE_VERSION) throw new Error(`unsupported feature version ${spec.version}`);
  if (!Number.isInteger(spec.bits) || spec.bits < 8 || spec.bits > 26) throw new Error('bits must be 8..26');
  if (windows !== undefined && (windows.block < 8 || windows.stride < 1 || windows.sizes.some((z) => z < 1))) {
    throw new Error('invalid window spec');
  }
}

/**
 * Reusable feature extractor. Not thread-safe: `extract` returns views into
 * internal buffers that the next call overwrites.
 */
export class FeatureExtractor {
  readonly spec: FeatureSpec;
  readonly windows: WindowSpec | undefined;
  private readonly shift: number;
  private buf: Int32Array;
  private n = 0;
  /** Feature offsets at block boundaries of the main segment. */
  private marks: number[] = [];
  private ranges: number[] = [];
  private rangeBuf = new Int32Array(64);
  private spanBuf = new Int32Array(64);
  private boundBuf = new Int32Array(64);
  /** Offset → position in bounds, written for the current bounds only. */
  private boundAt = new Int32Array(4096);
  private repeated = false;
  private readonly kernel = new FeatureKernel(CHAR_KIND);
  /** `FeatureKernel.segment` flags of the spec, and the repeat marker's bucket. */
  private readonly flags: number;
  private readonly repeatHash: number;

  constructor(spec: FeatureSpec, windows?: WindowSpec, options: ExtractorOptions = {}) {
    checkFeatureSpec(spec, windows);
    this.spec = spec;
    this.windows = windows;
    this.shift = options.raw === true ? 0 : 32 - spec.bits;
    this.buf = this.kernel.features;
    const on = (g: number): boolean => spec.charMin <= g && spec.charMax >= g;
    this.flags = (on(3) ? G3 : 0) | (on(4) ? G4 : 0) | (on(5) ? G5 : 0) | (spec.wordNgrams >= 2 ? BIGRAMS : 0) |
      (spec.skipBigrams === true ? SKIPS : 0) | (spec.repeatMarker === true ? REPEATS : 0);
    this.repeatHash = Math.imul(SALT_REPEAT, GOLDEN) >>> this.shift;
  }

  /** Features and scoring ranges of `text`. */
  extract(text: string): Extraction {
    this.n = 0;
    this.marks.length = 0;
    this.ranges.length = 0;
    this.repeated = false;
    const norm = normalizeText(text);
    this.addSegment(norm.text, this.windows?.block ?? 0);
    const mainEnd = this.n;
    this.addWindows(mainEnd);
    for (const span of norm.decoded) {
      const start = this.n;
      this.pushHash(hashString(span.kind, MARKER_BASIS) ^ SALT_MARKER);
      this.addSegment(span.text, 0);
      this.ranges.push(start, this.n);
    }
    return { idx: this.buf.subarray(0, this.n), ...this.packRanges(mainEnd), text: norm.text, repeated: this.repeated };
  }

  /**
   * Every offset a range can start or end at arrives in ascending order: 0,
   * the block marks, the end of the main text, then each decoded payload's
   * end (a payload starts where the one before it ends). So bounds need no
   * sorting, and each range end's position in them is a table lookup.
   */
  private packRanges(mainEnd: number): { ranges: Int32Array; bounds: Int32Array; spans: Int32Array } {
    const r = this.ranges;
    const count = r.length + 2;
    const maxBounds = this.marks.length + r.length + 2;
    if (this.rangeBuf.length < count) {
      this.rangeBuf = new Int32Array(count * 2);
      this.spanBuf = new Int32Array(count * 2);
    }
    if (this.boundBuf.length < maxBounds) this.boundBuf = new Int32Array(maxBounds * 2);
    if (this.boundAt.length <= this.n) this.boundAt = new Int32Array((this.n + 1) * 2);
    const bounds = this.boundBuf;
    const at = this.boundAt;
    let nb = addBound(bounds, at, 0, 0);
    if (this.windows !== undefined && r.length > 0) for (const m of this.marks) nb = addBound(bounds, at, nb, m);
    nb = addBound(bounds, at, nb, mainEnd);
    for (let i = 1; i < r.length; i += 2) if (r[i]! > mainEnd) nb = addBound(bounds, at, nb, r[i]!);
    const ranges = this.rangeBuf;
    const spans = this.spanBuf;
    ranges[0] = 0;
    ranges[1] = this.n;
    for (let i = 0; i < r.length; i++) ranges[i + 2] = r[i]!;
    for (let i = 0; i < count; i++) spans[i] = at[ranges[i]!]!;
    return { ranges: ranges.subarray(0, count), bounds: bounds.subarray(0, nb), spans: spans.subarray(0, count) };
  }

  /** Bucket indices only (whole text), as a view valid until the next call. */
  features(text: string): Int32Array {
    return this.extract(text).idx;
  }

  private addWindows(mainEnd: number): void {
    const w = this.windows;
    if (w === undefined) return;
    const bounds = [0, ...this.marks];
    if (bounds[bounds.length - 1] !== mainEnd) bounds.push(mainEnd);
    const blocks = bounds.length - 1;
    for (const size of w.sizes) {
      if (blocks <= size) continue;
      for (let start = 0; start < blocks; start += w.stride) {
        const end = Math.min(start + size, blocks);
        this.ranges.push(bounds[start]!, bounds[end]!);
        if (end === blocks) break;
      }
    }
  }

  private pushHash(h: number): void {
    this.buf = this.kernel.reserve(this.n + 1);
    this.buf[this.n++] = Math.imul(h, GOLDEN) >>> this.shift;
  }

  /**
   * Word unigrams/bigrams and character n-grams of one folded segment, in one
   * pass (`kernels/features.wat`). Character n-grams run over " text " (so
   * word edges are part of the grams), hashed polynomially over the last five
   * code units.
   */
  private addSegment(s: string, block: number): void {
    if (s.length === 0) return;
    this.n = this.kernel.segment(s, this.n, block, this.flags, this.shift, this.repeatHash, this.marks);
    this.buf = this.kernel.features;
    if (this.kernel.repeated) this.repeated = true;
  }
}
