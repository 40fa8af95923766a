/**
 * The loop of `scanText`, in WebAssembly (`scan.wat`), with the tables it
 * reads. `scan.ts` owns the tables and the meaning of the results; this file
 * only moves text in and numbers out.
 *
 * Why WebAssembly: the scan reads every character of every scored text and
 * branches on most of them; compiled ahead of time it runs without the
 * engine's checks, and the text is copied in as UTF-16 code units whatever
 * the engine's representation of the string.
 *
 * Memory layout: class bits (u16 × 65,536), the letter-bigram ratios (f64 ×
 * 1,458), the hint table (i32 × 1,024 and u8 × 1,024), the results, then per
 * call the base64 runs and the text. Not re-entrant.
 */
import { SCAN_WASM } from './_scan-wasm.js';
import { align, instantiate, KernelMemory, type WasmMemory } from './wasm.js';

interface ScanExports {
  memory: WasmMemory;
  scan(units: number, len: number, out: number, runs: number, cls: number, llr: number, keys: number, vals: number): void;
}

/** The tables the scan reads: see `scan.wat` for their shapes. */
export interface ScanTables {
  /** Class bits of every code unit (65,536). */
  classes: Uint16Array;
  /** Per letter bigram (a·27 + b): rot13 then reversed log-likelihood ratio (1,458). */
  llr: Float64Array;
  /** The hint words' table: keys (1,024) and flags (1,024). */
  hintKeys: Int32Array;
  hintVals: Uint8Array;
}

/** What one scan found, as the kernel writes it (see `scan.wat`). */
export interface ScanResult {
  counts: Int32Array;
  rot13Evidence: number;
  reversedEvidence: number;
  /** Pairs [start, end) of base64-alphabet runs; a view, valid until the next scan. */
  runs: Int32Array;
}

/** Indices into `ScanResult.counts`. */
export const WHITESPACE = 0;
export const LEET = 1;
export const SPACED = 2;
export const HEX_RUN = 3;
export const BINARY_RUN = 4;
export const MORSE_TOKENS = 5;
export const PERCENTS = 6;
export const ESCAPES = 7;
export const BRAILLE = 8;
export const ENGLISH = 9;
export const ROT13 = 10;
export const REVERSED = 11;
export const NATO = 12;
export const WORDS = 13;
export const MARK_STARTS = 14;
const RUN_COUNT = 15;

const CLASSES = 0;
const LLR = CLASSES + 0x10000 * 2;
const KEYS = align(LLR + 1458 * 8, 16);
const VALS = KEYS + 1024 * 4;
const OUT = VALS + 1024;
const RUNS = OUT + 128;

export class ScanKernel {
  private readonly exports: ScanExports;
  private readonly mem: KernelMemory;

  constructor(tables: ScanTables) {
    if (tables.classes.length !== 0x10000 || tables.llr.length !== 1458 || tables.hintKeys.length !== 1024 || tables.hintVals.length !== 1024) {
      throw new Error('scan kernel: tables of the wrong size');
    }
    this.exports = instantiate<ScanExports>(SCAN_WASM);
    const mem = (this.mem = new KernelMemory(this.exports.memory, RUNS + 65536));
    mem.u16.set(tables.classes, CLASSES >> 1);
    mem.f64.set(tables.llr, LLR >> 3);
    mem.i32.set(tables.hintKeys, KEYS >> 2);
    new Uint8Array(this.exports.memory.buffer, VALS, 1024).set(tables.hintVals);
  }

  scan(s: string): ScanResult {
    const len = s.length;
    // A run takes at least 16 characters, so at most len/16 + 1 of them.
    const unitsAt = align(RUNS + 8 * (Math.floor(len / 16) + 1), 4);
    const mem = this.mem;
    mem.grow(unitsAt + 2 * (len + 1));
    mem.bytes.write(s, unitsAt, 'utf16le');
    mem.u16[(unitsAt >> 1) + len] = 32;
    this.exports.scan(unitsAt, len, OUT, RUNS, CLASSES, LLR, KEYS, VALS);
    const counts = mem.i32.subarray(OUT >> 2, (OUT >> 2) + 16);
    return {
      counts,
      rot13Evidence: mem.f64[(OUT + 64) >> 3]!,
      reversedEvidence: mem.f64[(OUT + 72) >> 3]!,
      runs: mem.i32.subarray(RUNS >> 2, (RUNS >> 2) + 2 * counts[RUN_COUNT]!),
    };
  }
}
