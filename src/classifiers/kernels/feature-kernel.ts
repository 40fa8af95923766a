/**
 * The hashing loop of `FeatureExtractor`, in WebAssembly (`features.wat`),
 * with the feature buffer it writes.
 *
 * Why WebAssembly: the loop runs once per character of every scored text,
 * hashing three character n-grams and the words; compiled ahead of time it
 * runs without the engine's bounds and type checks (about twice as fast on
 * real text as the JavaScript it replaced, with the same hashes bit for bit).
 *
 * Memory layout: the code-unit kinds (64 KiB) at 0, a small info block, the
 * feature buffer, then scratch for one segment (its marks and code units).
 * Contract: `features` is a view valid until the next `reserve` or `segment`
 * call; not re-entrant.
 */
import { FEATURES_WASM } from './_features-wasm.js';
import { align, instantiate, KernelMemory, type WasmMemory } from './wasm.js';

interface FeaturesExports {
  memory: WasmMemory;
  segment(
    units: number, len: number, out: number, n0: number, block: number, marks: number, flags: number,
    shift: number, kinds: number, repeatHash: number, info: number,
  ): number;
}

/** What a code unit is to word features (see `features.wat`). */
export const BREAK = 0;
export const WORD = 1;
export const CJK = 2;
/** Space, apostrophe and hyphen end a word but not a run of words: "don't stop" and "well-known" keep their bigrams. */
export const JOIN = 3;

/** Bits of `segment`'s flags. */
export const G3 = 1;
export const G4 = 2;
export const G5 = 4;
export const BIGRAMS = 8;
export const SKIPS = 16;
export const REPEATS = 32;

const KINDS_BYTES = 0x10000;
const INFO = KINDS_BYTES;
const FEATURES = INFO + 16;

export class FeatureKernel {
  private readonly exports: FeaturesExports;
  /** The feature buffer: `capacity` i32 at `FEATURES`. */
  private capacity = 4096;
  private readonly mem: KernelMemory;
  features: Int32Array;
  /** Whether the last `segment` placed a repeat marker. */
  repeated = false;

  /** `kinds`: the kind of each of the 65,536 code units. */
  constructor(kinds: Uint8Array) {
    if (kinds.length !== KINDS_BYTES) throw new Error(`feature kernel: ${KINDS_BYTES} code-unit kinds expected, got ${kinds.length}`);
    this.exports = instantiate<FeaturesExports>(FEATURES_WASM);
    this.mem = new KernelMemory(this.exports.memory, FEATURES + 4 * this.capacity);
    this.features = new Int32Array(this.exports.memory.buffer, FEATURES, this.capacity);
    new Uint8Array(this.exports.memory.buffer, 0, KINDS_BYTES).set(kinds);
  }

  /** Makes room for `count` features in the buffer, keeping those written; returns the buffer. */
  reserve(count: number): Int32Array {
    if (count > this.capacity) {
      let capacity = this.capacity;
      while (capacity < count) capacity *= 2;
      // The scratch after the buffer moves with it; the features stay where they are.
      this.capacity = capacity;
      this.memoryFor(FEATURES + 4 * capacity);
    }
    return this.features;
  }

  /**
   * Hashes `s` (one folded segment), appending its features at `n`; returns
   * the new count. Every `block` characters (0: never) the current count is
   * pushed to `marks`.
   */
  segment(s: string, n: number, block: number, flags: number, shift: number, repeatHash: number, marks: number[]): number {
    const len = s.length;
    this.reserve(n + 6 * (len + 2) + 8);
    const marksAt = FEATURES + 4 * this.capacity;
    const maxMarks = block > 0 ? Math.floor((len + 2) / block) + 1 : 0;
    const unitsAt = align(marksAt + 4 * maxMarks, 4);
    this.memoryFor(unitsAt + 2 * (len + 2));
    const mem = this.mem;
    mem.u16[unitsAt >> 1] = 32;
    mem.bytes.write(s, unitsAt + 2, 'utf16le');
    mem.u16[(unitsAt >> 1) + len + 1] = 32;
    const end = this.exports.segment(unitsAt, len, FEATURES, n, block, marksAt, flags, shift, 0, repeatHash, INFO);
    const count = mem.i32[INFO >> 2]!;
    for (let m = 0; m < count; m++) marks.push(mem.i32[(marksAt >> 2) + m]!);
    this.repeated = mem.i32[(INFO >> 2) + 1] === 1;
    return end;
  }

  /** Grows the memory to `bytes` (at least the buffer), and renews the buffer's view when it grew or changed size. */
  private memoryFor(bytes: number): void {
    const grew = this.mem.grow(bytes);
    if (grew || this.features.length !== this.capacity) {
      this.features = new Int32Array(this.exports.memory.buffer, FEATURES, this.capacity);
    }
  }
}
