/**
 * Pretrained word vectors: file format, loading, and pooling a text into one
 * fixed-size vector. Training reads them to fit a dense head (`dense-head.ts`);
 * scoring does not (the head stores what it needs of them).
 *
 * A vectors file, `vectors.bin`:
 *
 * | bytes | content |
 * |---|---|
 * | 0..3 | magic `SGWV` |
 * | 4..7 | header length H (uint32, little-endian) |
 * | 8..8+H | header, UTF-8 JSON (`WordVectorsHeader`) |
 * | 8+H..8+H+W | the words, UTF-8, joined by `\n`, most frequent first (W = `wordBytes`) |
 * | 8+H+W.. | vectors, int8, `count × dims`, word-major; value = int8 · scale[d] |
 *
 * Pooled vector: the weighted mean of the vectors of a text's known words
 * (words and weights as `word-table.ts` defines them), then
 * `countFeature(known words)`; all zeros when no word is known. (An
 * element-wise maximum as well scored no better on validation.)
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { countFeature, WordTable } from './word-table.js';

const MAGIC = 'SGWV';
export const WORD_VECTORS_FORMAT_VERSION = 1;

export interface WordVectorsHeader {
  formatVersion: number;
  dims: number;
  count: number;
  /** Byte length of the joined words. */
  wordBytes: number;
  /** Per-dimension dequantisation scale. */
  scale: number[];
  /** Provenance: where the vectors come from, their licence, how the table was cut. */
  info: Record<string, unknown>;
}

export interface WordVectorsParams {
  header: WordVectorsHeader;
  words: string[];
  /** int8, `count × dims`, word-major. */
  vectors: Int8Array;
}

export class WordVectors {
  readonly dims: number;
  /** Length of a pooled vector: the mean and the word count feature. */
  readonly pooledSize: number;
  readonly header: Readonly<WordVectorsHeader>;
  readonly words: readonly string[];
  readonly table: WordTable;
  /** int8, `count × dims`, word-major. */
  readonly vectors: Int8Array;
  readonly scale: Float64Array;

  constructor(params: WordVectorsParams) {
    const { header, words, vectors } = params;
    if (words.length !== header.count) throw new Error(`word vectors: header says ${header.count} words, file has ${words.length}`);
    if (vectors.length !== header.count * header.dims) throw new Error(`word vectors: expected ${header.count * header.dims} values, got ${vectors.length}`);
    if (header.scale.length !== header.dims) throw new Error('word vectors: one scale per dimension expected');
    this.header = header;
    this.dims = header.dims;
    this.pooledSize = header.dims + 1;
    this.words = words;
    this.vectors = vectors;
    this.scale = Float64Array.from(header.scale);
    this.table = new WordTable(words);
  }

  /** Pools the words of a normalised text into `out` (length `pooledSize`); see the module comment. */
  pool(normalized: string, out: Float64Array): void {
    const d = this.dims;
    const bag = this.table.collect(normalized);
    if (bag.known === 0 || bag.weight === 0) {
      out.fill(0, 0, this.pooledSize);
      return;
    }
    const q = this.vectors;
    out.fill(0, 0, d);
    for (let t = 0; t < bag.distinct; t++) {
      const base = bag.rows[t]! * d;
      const w = bag.weights[t]!;
      for (let j = 0; j < d; j++) out[j]! += w * q[base + j]!;
    }
    for (let j = 0; j < d; j++) out[j] = (out[j]! / bag.weight) * this.scale[j]!;
    out[d] = countFeature(bag.known);
  }
}

/** Serialises word vectors to the binary format described at the top of this file. */
export function encodeWordVectors(params: WordVectorsParams): Buffer {
  const words = Buffer.from(params.words.join('\n'), 'utf8');
  const header = Buffer.from(JSON.stringify({ ...params.header, wordBytes: words.length }), 'utf8');
  const out = Buffer.alloc(8 + header.length + words.length + params.vectors.length);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  words.copy(out, 8 + header.length);
  Buffer.from(params.vectors.buffer, params.vectors.byteOffset, params.vectors.byteLength).copy(out, 8 + header.length + words.length);
  return out;
}

/** Parses the binary format. Throws on a bad magic, version or size. */
export function decodeWordVectors(bytes: Uint8Array): WordVectorsParams {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a Safegate word-vectors file');
  const len = buf.readUInt32LE(4);
  const header = JSON.parse(buf.toString('utf8', 8, 8 + len)) as WordVectorsHeader;
  if (header.formatVersion !== WORD_VECTORS_FORMAT_VERSION) throw new Error(`unsupported word-vectors format ${header.formatVersion}`);
  const wordsEnd = 8 + len + header.wordBytes;
  const expected = wordsEnd + header.count * header.dims;
  if (buf.length !== expected) throw new Error(`word-vectors file is ${buf.length} bytes, expected ${expected}`);
  const words = header.count === 0 ? [] : buf.toString('utf8', 8 + len, wordsEnd).split('\n');
  const vectors = new Int8Array(header.count * header.dims);
  vectors.set(new Int8Array(buf.buffer, buf.byteOffset + wordsEnd, vectors.length));
  return { header, words, vectors };
}

/** SHA-256 of a file's bytes, hex: a model records the vectors it was trained with. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Loads a vectors file, with its SHA-256 (recorded in the models trained from it). */
export function loadWordVectors(path: string): { vectors: WordVectors; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`word vectors ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); build them with npm run build:word-vectors`);
  }
  return { vectors: new WordVectors(decodeWordVectors(bytes)), sha256: sha256Hex(bytes) };
}

/** Writes a vectors file, creating its directory. */
export function saveWordVectors(path: string, params: WordVectorsParams): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeWordVectors(params));
}
