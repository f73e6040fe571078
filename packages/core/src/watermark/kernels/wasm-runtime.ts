/**
 * The few WebAssembly JS API members the kernels use, and compilation of a kernel's bytes once per process (the Node
 * type definitions in use do not declare the `WebAssembly` global). A module that does not compile, because the
 * runtime has no WebAssembly or no SIMD, yields null and its caller keeps the portable TypeScript path.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** `n` rounded up to a multiple of 16 bytes (the kernels' arrays are 16-byte aligned for v128 loads). */
export function align16(n: number): number {
  return (n + 15) & ~15;
}

/**
 * Grows `memory` to hold at least `bytes`; true when it grew (every view on the old buffer is then detached and
 * must be made again).
 */
export function ensureMemory(memory: WasmMemory, bytes: number): boolean {
  const pages = Math.ceil(bytes / 65536) - memory.buffer.byteLength / 65536;
  if (pages <= 0) return false;
  memory.grow(pages);
  return true;
}

export interface WasmModule {
  readonly kind?: 'module';
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => { exports: unknown };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const compiled = new Map<string, WasmModule | null>();

/** The module assembled from `base64` bytes, compiled on first use; null where WebAssembly SIMD is unavailable. */
export function compiledModule(base64: string): WasmModule | null {
  let module = compiled.get(base64);
  if (module === undefined) {
    try {
      module = wasmApi ? new wasmApi.Module(Buffer.from(base64, 'base64')) : null;
    } catch {
      module = null; // no WebAssembly SIMD in this runtime
    }
    compiled.set(base64, module);
  }
  return module;
}

/** A fresh instance of a compiled module (its own memory), as its exports. */
export function instantiate<Exports>(module: WasmModule): Exports {
  return new (wasmApi as WasmApi).Instance(module).exports as Exports;
}
