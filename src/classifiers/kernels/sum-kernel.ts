/**
 * Running weight sums of hashed features, computed in WebAssembly
 * (`sums.wat`): the inner loop of every hashed-linear model.
 *
 * Why WebAssembly: a model adds one table entry per feature, several thousand
 * per kilobyte of text. With sixteen labels a bucket, one 128-bit load and two
 * widening adds take the place of the four loads and sixteen mask, shift and
 * add steps of the JavaScript version (about six times faster on real text);
 * with one label, the loop loses its bounds checks (about twice as fast).
 * The module is 0.5 KB, compiled once per process from bytes embedded in the
 * code; it needs SIMD, which every supported Node.js has.
 *
 * Contract: `sums` returns, for each bound b, the exact integer sum of the
 * weights of features [0, bounds[b]) for every lane, as doubles: the same
 * numbers a JavaScript loop adding them in doubles gives. A kernel is not
 * re-entrant (one model, one event loop).
 */
import { SUMS_WASM } from './_sums-wasm.js';
import { align, instantiate, KernelMemory, WASM_PAGE, type WasmMemory } from './wasm.js';

interface SumsExports {
  memory: WasmMemory;
  single(table: number, idx: number, bounds: number, nb: number, shift: number, out: number): void;
  packed(table: number, idx: number, bounds: number, nb: number, shift: number, out: number, work: number): void;
}

/** Labels a bucket holds in a packed table; a model with 2..16 labels uses this layout. */
export const PACKED_LANES = 16;
/** Scratch bytes the packed kernel needs (see `sums.wat`), rounded up. */
const WORK_BYTES = 256;

/**
 * A model's weight table inside WebAssembly memory of its own, laid out as:
 * the table (at 0), scratch, then per call the bounds, the features and the
 * sums.
 */
export class SumKernel {
  /** Entries per bound in the result: 1, or `PACKED_LANES`. */
  readonly lanes: 1 | typeof PACKED_LANES;
  private readonly exports: SumsExports;
  private readonly shift: number;
  private readonly work: number;
  private readonly base: number;
  private readonly mem: KernelMemory;

  /**
   * `table`: with one lane, one int8 weight a bucket; with `PACKED_LANES`,
   * sixteen a bucket (see `packTable`). `bits`: log2 of the bucket count; a
   * feature hash h reads bucket h >>> (32 - bits).
   */
  constructor(table: Int8Array, lanes: 1 | typeof PACKED_LANES, bits: number) {
    if (table.length !== lanes * 2 ** bits) throw new Error(`sum kernel: a table of ${2 ** bits} buckets × ${lanes} needs ${lanes * 2 ** bits} bytes, got ${table.length}`);
    this.lanes = lanes;
    this.shift = 32 - bits;
    this.exports = instantiate<SumsExports>(SUMS_WASM);
    this.work = align(table.length, 16);
    this.base = this.work + WORK_BYTES;
    this.mem = new KernelMemory(this.exports.memory, this.base + WASM_PAGE);
    new Int8Array(this.exports.memory.buffer, 0, table.length).set(table);
  }

  /**
   * Sums at every bound of `bounds` (ascending feature offsets, the last at
   * most `idx.length`) over the feature hashes `idx`: entry b·lanes + j is the
   * total of lane j over features [0, bounds[b]). A view, valid until the
   * next call.
   */
  sums(idx: Int32Array, bounds: Int32Array): Float64Array {
    const nb = bounds.length;
    const at = this.base;
    const idxAt = align(at + 4 * nb, 16);
    const outAt = align(idxAt + 4 * idx.length, 16);
    const end = outAt + 8 * nb * this.lanes;
    const mem = this.mem;
    mem.grow(end);
    mem.i32.set(bounds, at >> 2);
    mem.i32.set(idx, idxAt >> 2);
    if (this.lanes === 1) this.exports.single(0, idxAt, at, nb, this.shift, outAt);
    else this.exports.packed(0, idxAt, at, nb, this.shift, outAt, this.work);
    return mem.f64.subarray(outAt >> 3, (outAt >> 3) + nb * this.lanes);
  }
}

/** A bucket-major int8 table of `k` labels (2..16) as the packed kernel reads it: sixteen bytes a bucket, zero beyond `k`. */
export function packTable(q: Int8Array, k: number): Int8Array {
  if (k < 1 || k > PACKED_LANES) throw new Error(`sum kernel: 1..${PACKED_LANES} labels, got ${k}`);
  const buckets = q.length / k;
  const out = new Int8Array(buckets * PACKED_LANES);
  for (let b = 0; b < buckets; b++) {
    for (let j = 0; j < k; j++) out[b * PACKED_LANES + j] = q[b * k + j]!;
  }
  return out;
}
