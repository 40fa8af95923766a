/**
 * Instances of the embedded WebAssembly kernels, and their memory.
 *
 * The project's type libraries do not declare the engine's WebAssembly API;
 * the few parts used are typed here.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
export const WASM_PAGE = 65536;

/** Compiled modules by their base64 bytes: each kernel is compiled once per process (or worker). */
const compiled = new Map<string, object>();

/** A new instance (with memory of its own) of the module whose bytes are `base64`. */
export function instantiate<E extends { memory: WasmMemory }>(base64: string): E {
  let module = compiled.get(base64);
  if (module === undefined) {
    module = new wasm.Module(Buffer.from(base64, 'base64'));
    compiled.set(base64, module);
  }
  return new wasm.Instance(module, {}).exports as E;
}

/**
 * A kernel's memory with typed views over all of it. Growing the memory
 * detaches every view of the old buffer, so views are taken from here, never
 * kept elsewhere across a `grow`.
 */
export class KernelMemory {
  i32!: Int32Array;
  u16!: Uint16Array;
  f64!: Float64Array;
  /** For writing strings as UTF-16 code units (`bytes.write(s, at, 'utf16le')`, lone surrogates kept). */
  bytes!: Buffer;

  constructor(
    readonly memory: WasmMemory,
    bytes: number,
  ) {
    this.grow(bytes);
    this.renew();
  }

  /** Grows the memory to at least `bytes`. True when it grew: the views here are renewed, any other is detached. */
  grow(bytes: number): boolean {
    const pages = Math.ceil(bytes / WASM_PAGE) - this.memory.buffer.byteLength / WASM_PAGE;
    if (pages <= 0) return false;
    this.memory.grow(pages);
    this.renew();
    return true;
  }

  private renew(): void {
    const buffer = this.memory.buffer;
    this.i32 = new Int32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.bytes = Buffer.from(buffer);
  }
}

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
