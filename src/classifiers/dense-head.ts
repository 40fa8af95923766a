/**
 * A small dense network over pooled pretrained word vectors, added to a
 * hashed linear model's logits.
 *
 * Why: the hashed n-gram model only knows words it was trained on; the word
 * vectors (learned from a large general corpus) place unseen insults, slurs
 * and threats near the ones in the training data, so the head generalises to
 * wording and corpora the labelled data does not cover.
 *
 * Network (as trained, `training/dense.ts`): x = [weighted mean of the
 * text's word vectors, countFeature(known words)] (`word-vectors.ts`), or all
 * zeros when no word is known; hidden = relu(W1ᵀx + b1); z = W2ᵀhidden + b2,
 * one output per label. The model's logit for label k becomes
 * linear_k + blend_k · z_k. Several networks trained from different seeds are
 * stored as one with their hidden units side by side and W2 divided by their
 * number, which is exactly the mean of their outputs.
 *
 * As stored: the first layer is linear in the mean, so each word's vector is
 * multiplied by W1 once, at training time, into a table of `hidden` values a
 * word (int8, one scale per hidden unit). Scoring then sums one short table
 * row per distinct word, the word vectors themselves are not needed, and the
 * 100 × hidden first-layer product per text disappears.
 *
 * Stored after the linear model's int8 weights, in the same file: the words
 * (UTF-8, joined by `\n`, `wordBytes` bytes), the table (int8, `words ×
 * hidden`, word-major), then float32 little-endian: the count weights
 * (hidden), b1 (hidden), W2 (hidden × labels, hidden-major), b2 (labels).
 */
import { WordKernel } from './kernels/word-kernel.js';
import { countFeature } from './word-table.js';

/** What a model header says about its dense head. */
export interface DenseHeadSpec {
  /** Word and pooling contract (`POOLING` of word-table.ts). */
  pooling: string;
  /** Rows of the word table, and the byte length of its joined words. */
  words: number;
  wordBytes: number;
  hidden: number;
  /** Per hidden unit: table value = int8 · scale. */
  scale: number[];
  /** Per-label weight of the head's output in the model's logit. */
  blend: number[];
  /** Provenance of the word vectors the head was trained from. Not used for scoring. */
  vectors?: { sha256: string; source?: unknown };
}

/** The head's stored arrays (see the module comment). */
export interface DenseHeadParams {
  words: string[];
  table: Int8Array;
  floats: Float32Array;
}

/** Number of float32 values of a head: count weights, b1, W2, b2. */
export function denseFloatCount(hidden: number, k: number): number {
  return 2 * hidden + hidden * k + k;
}

export class DenseHead {
  /** The word lookup, the table and the weighted row sums (`kernels/word-kernel.ts`). */
  private readonly kernel: WordKernel;
  private readonly scale: Float64Array;
  private readonly countWeights: Float32Array;
  private readonly b1: Float32Array;
  /** W2 transposed (label-major): each output is one dot product. */
  private readonly w2t: Float32Array;
  private readonly b2: Float32Array;
  private readonly h: Float64Array;
  private readonly hidden: number;
  readonly blend: Float64Array;

  constructor(
    readonly spec: DenseHeadSpec,
    private readonly k: number,
    params: DenseHeadParams,
  ) {
    const { hidden } = spec;
    if (params.words.length !== spec.words) throw new Error(`dense head: header says ${spec.words} words, found ${params.words.length}`);
    if (params.table.length !== spec.words * hidden) throw new Error(`dense head: expected ${spec.words * hidden} table values, got ${params.table.length}`);
    if (params.floats.length !== denseFloatCount(hidden, k)) throw new Error(`dense head: expected ${denseFloatCount(hidden, k)} weights, got ${params.floats.length}`);
    if (spec.scale.length !== hidden) throw new Error('dense head: one scale per hidden unit expected');
    if (spec.blend.length !== k) throw new Error(`dense head: ${spec.blend.length} blend weights for ${k} labels`);
    this.kernel = new WordKernel(params.words, params.table, hidden);
    this.scale = Float64Array.from(spec.scale);
    let at = 0;
    const take = (n: number): Float32Array => params.floats.subarray(at, (at += n));
    this.countWeights = take(hidden);
    this.b1 = take(hidden);
    const w2 = take(hidden * k);
    this.b2 = take(k);
    this.w2t = new Float32Array(w2.length);
    for (let u = 0; u < hidden; u++) for (let c = 0; c < k; c++) this.w2t[c * hidden + u] = w2[u * k + c]!;
    this.hidden = hidden;
    this.blend = Float64Array.from(spec.blend);
    this.h = new Float64Array(hidden);
  }

  /** Adds blend_k · z_k of `normalized` (a normalised text) to `logits`. */
  addTo(normalized: string, logits: Float64Array): void {
    const H = this.hidden;
    const h = this.h;
    const bag = this.kernel.pool(normalized);
    if (bag.known === 0 || bag.weight === 0) {
      for (let j = 0; j < H; j++) h[j] = Math.max(0, this.b1[j]!);
    } else {
      const sums = this.kernel.out;
      const c = countFeature(bag.known);
      const inv = 1 / bag.weight;
      for (let j = 0; j < H; j++) {
        const s = sums[j]! * inv * this.scale[j]! + this.countWeights[j]! * c + this.b1[j]!;
        h[j] = s > 0 ? s : 0;
      }
    }
    for (let c = 0; c < this.k; c++) {
      logits[c]! += this.blend[c]! * (this.b2[c]! + dot(h, this.w2t, c * H, H));
    }
  }
}

/** Σ a[i]·b[at + i] for i < n, in four independent running sums. */
function dot(a: Float64Array, b: Float32Array, at: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[at + i]!;
    s1 += a[i + 1]! * b[at + i + 1]!;
    s2 += a[i + 2]! * b[at + i + 2]!;
    s3 += a[i + 3]! * b[at + i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[at + i]!;
  return s0 + s1 + (s2 + s3);
}

/** Serialises a head's arrays in the stored order. */
export function encodeDenseHead(params: DenseHeadParams): { words: Buffer; rest: Buffer } {
  const words = Buffer.from(params.words.join('\n'), 'utf8');
  const rest = Buffer.alloc(params.table.length + params.floats.length * 4);
  Buffer.from(params.table.buffer, params.table.byteOffset, params.table.byteLength).copy(rest, 0);
  let at = params.table.length;
  for (const v of params.floats) at = rest.writeFloatLE(v, at);
  return { words, rest };
}

/** Parses a head's arrays from `bytes` (exactly its stored part). */
export function decodeDenseHead(spec: DenseHeadSpec, k: number, bytes: Buffer): DenseHeadParams {
  for (const key of ['words', 'wordBytes', 'hidden'] as const) {
    if (!Number.isInteger(spec[key]) || spec[key] < 0) throw new Error(`dense head: header field ${key} is missing or not a count`);
  }
  const tableBytes = spec.words * spec.hidden;
  const expected = spec.wordBytes + tableBytes + denseFloatCount(spec.hidden, k) * 4;
  if (bytes.length !== expected) throw new Error(`dense head is ${bytes.length} bytes, expected ${expected}`);
  const words = spec.words === 0 ? [] : bytes.toString('utf8', 0, spec.wordBytes).split('\n');
  const table = new Int8Array(tableBytes);
  table.set(new Int8Array(bytes.buffer, bytes.byteOffset + spec.wordBytes, tableBytes));
  const floats = new Float32Array(denseFloatCount(spec.hidden, k));
  const at = spec.wordBytes + tableBytes;
  for (let i = 0; i < floats.length; i++) floats[i] = bytes.readFloatLE(at + i * 4);
  return { words, table, floats };
}
