/** onnxruntime-web in the page: where its files are, its threads, and whether WebGPU is there. */
import * as ort from 'onnxruntime-web';

export { ort };

export interface OnnxWebSettings {
  /** Where onnxruntime-web's dist files (.wasm, .mjs) are served, a URL ending in `/`; default: next to its script. */
  assetsUrl?: string;
  /** WebAssembly threads (default 1: workers and shared memory cost more than they give on small models). */
  numThreads?: number;
}

/** Sets onnxruntime-web's environment; call before the first load. */
export function configure(settings: OnnxWebSettings): void {
  if (settings.assetsUrl) ort.env.wasm.wasmPaths = settings.assetsUrl;
  ort.env.wasm.numThreads = settings.numThreads ?? 1;
}

/** Whether the browser gives a WebGPU adapter. */
export async function webgpuAdapter(): Promise<boolean> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}
