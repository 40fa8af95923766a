/**
 * Instances of the embedded WebAssembly kernels, and growth of their memory.
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
 * Grows `memory` to at least `bytes`. True when it grew: every view of the
 * old buffer is then detached and must be made again.
 */
export function growTo(memory: WasmMemory, bytes: number): boolean {
  const pages = Math.ceil(bytes / WASM_PAGE) - memory.buffer.byteLength / WASM_PAGE;
  if (pages <= 0) return false;
  memory.grow(pages);
  return true;
}

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
