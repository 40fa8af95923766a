/**
 * The dense head's pooling in WebAssembly (`words.wat`): finds the known words
 * of a normalised text and sums their table rows, weighted.
 *
 * Why WebAssembly: the head reads every character of a text (hashing words as
 * it goes) and adds one table row per distinct word; the JavaScript loops cost
 * about as much as the rest of a model's scoring. The kernel gives the same
 * numbers bit for bit (`word-kernel.test.ts` compares it with
 * `WordTable.collect` and the JavaScript sum).
 *
 * Memory layout: the word-character table (64 KiB) at 0, an info block, the
 * output (hidden f64), the lookup slots, per-row stamps and bag indices, the
 * int8 table (words × hidden), then per call the bag and the text.
 * The kernel reads rows eight values at a time, so rows are stored padded with
 * zeros to a multiple of 8. Contract: `out` is a view valid until the next
 * call; not re-entrant.
 */
import { MAX_WORD, RANK_SHIFT, WordTable } from '../word-table.js';
import { WORDS_WASM } from './_words-wasm.js';
import { align, instantiate, KernelMemory, type WasmMemory } from './wasm.js';

interface WordsExports {
  memory: WasmMemory;
  collect(
    units: number, len: number, gen: number, slots: number, shift: number, mask: number, stamp: number, slotOf: number,
    rows: number, weights: number, info: number, maxWord: number, rankShift: number,
  ): number;
  accumulate(table: number, hidden: number, rows: number, weights: number, distinct: number, out: number): void;
}

const CHARS_BYTES = 0x10000;
const INFO = CHARS_BYTES;
const OUT = INFO + 16;

/** What `pool` found: known words (with repeats) and the sum of their weights; `out` holds the weighted row sums. */
export interface Pooled {
  known: number;
  weight: number;
}

export class WordKernel {
  private readonly exports: WordsExports;
  private readonly mem: KernelMemory;
  private readonly hidden: number;
  /** Stored row length: `hidden` rounded up to a multiple of 8. */
  private readonly stride: number;
  private readonly rows: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly slots: number;
  private readonly stamp: number;
  private readonly slotOf: number;
  private readonly table: number;
  /** Start of the per-call area (bag, then text). */
  private readonly scratch: number;
  private generation = 0;
  private readonly pooled: Pooled = { known: 0, weight: 0 };

  /** `words` most frequent first (as `WordTable`); `table`: int8, `hidden` values a word, word-major. */
  constructor(words: readonly string[], table: Int8Array, hidden: number) {
    if (!Number.isInteger(hidden) || hidden <= 0) throw new Error(`word kernel: the hidden size must be a positive integer, got ${hidden}`);
    if (table.length !== words.length * hidden) throw new Error(`word kernel: expected ${words.length * hidden} table values, got ${table.length}`);
    const layout = new WordTable(words).layout();
    this.hidden = hidden;
    this.stride = align(hidden, 8);
    this.rows = layout.rows;
    this.shift = layout.shift;
    this.mask = (layout.slots.length >> 1) - 1;
    this.slots = align(OUT + 8 * this.stride, 16);
    this.stamp = this.slots + 4 * layout.slots.length;
    this.slotOf = this.stamp + 4 * this.rows;
    this.table = this.slotOf + 4 * this.rows;
    this.scratch = align(this.table + this.rows * this.stride, 16);
    this.exports = instantiate<WordsExports>(WORDS_WASM);
    this.mem = new KernelMemory(this.exports.memory, this.scratch + 4096);
    const bytes = this.mem.bytes;
    bytes.set(layout.isWord, 0);
    this.mem.i32.set(layout.slots, this.slots >> 2);
    const rowBytes = new Uint8Array(table.buffer, table.byteOffset, table.length);
    if (this.stride === hidden) bytes.set(rowBytes, this.table);
    else for (let r = 0; r < this.rows; r++) bytes.set(rowBytes.subarray(r * hidden, (r + 1) * hidden), this.table + r * this.stride);
  }

  /** The weighted row sums of the last `pool` (hidden doubles). */
  get out(): Float64Array {
    return this.mem.f64.subarray(OUT >> 3, (OUT >> 3) + this.hidden);
  }

  /** Pools `normalized` (a normalised text): its known words, and the weighted sum of their rows into `out`. */
  pool(normalized: string): Pooled {
    const len = normalized.length;
    // Words are separated by at least one other code unit, so a text has at most ⌈len / 2⌉ of them.
    const cap = Math.min(this.rows, (len >> 1) + 1);
    const rows = this.scratch;
    const weights = align(rows + 4 * cap, 8);
    const units = weights + 8 * cap;
    const mem = this.mem;
    mem.grow(units + 2 * len);
    mem.bytes.write(normalized, units, 'utf16le');
    this.generation = (this.generation + 1) >>> 0 || 1;
    const distinct = this.exports.collect(
      units, len, this.generation, this.slots, this.shift, this.mask, this.stamp, this.slotOf, rows, weights, INFO,
      MAX_WORD, RANK_SHIFT,
    );
    this.exports.accumulate(this.table, this.stride, rows, weights, distinct, OUT);
    this.pooled.known = mem.i32[INFO >> 2]!;
    this.pooled.weight = mem.f64[(INFO + 8) >> 3]!;
    return this.pooled;
  }
}
