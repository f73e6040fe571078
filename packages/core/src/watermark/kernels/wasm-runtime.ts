/**
 * Compiling and instantiating the WebAssembly SIMD kernels. Each kernel's module is compiled once per process; a
 * runtime without WebAssembly, or without its SIMD proposal, gets null and the callers use their portable loops.
 */

// The few WebAssembly JS API members used here (the Node type definitions in use do not declare the global).
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => { exports: unknown };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const compiled = new Map<string, WasmModule | null>();

/** A fresh instance (with its own memory) of the kernel `name` whose bytes are `base64`; null without SIMD. */
export function instantiateKernel<Exports>(name: string, base64: string): Exports | null {
  let module = compiled.get(name);
  if (module === undefined) {
    try {
      module = wasmApi ? new wasmApi.Module(Buffer.from(base64, 'base64')) : null;
    } catch {
      module = null; // no WebAssembly SIMD in this runtime
    }
    compiled.set(name, module);
  }
  return module ? (new (wasmApi as WasmApi).Instance(module).exports as Exports) : null;
}
