/**
 * wllama, set up for a page that serves everything itself: its .wasm from the backend's assets URL
 * (never a CDN: compat mode, which fetches one, stays off), WebAssembly on the CPU, and the
 * page-wide settings `configure` takes.
 */
import { Wllama, type LoadModelParams } from '@wllama/wllama';

export interface WllamaSettings {
  /** Where @wllama/wllama's `esm/wasm` folder (wllama.wasm) is served, a URL ending in `/`; default: `./wasm/` next to the page. */
  assetsUrl?: string;
  /**
   * Where the `stream-stdout` option prints tokens as they come (under Node, the host's stdout; in
   * a page, usually the same place as the guest's stdout). Default: the page's console.
   */
  stdout?: (text: string) => void;
}

const settings: Required<WllamaSettings> = { assetsUrl: './wasm/', stdout: (text) => console.log(text) };

/** Sets the page-wide settings; call before the first load. */
export function configure(update: WllamaSettings): void {
  if (update.assetsUrl) settings.assetsUrl = update.assetsUrl;
  if (update.stdout) settings.stdout = update.stdout;
}

export const streamStdout = (text: string): void => settings.stdout(text);

/** The URL of wllama's .wasm, resolved against the page. */
function wasmUrl(): string {
  return new URL('wllama.wasm', new URL(settings.assetsUrl, (globalThis as { location?: { href: string } }).location?.href)).href;
}

const quiet = { debug: () => {}, log: () => {}, warn: (...args: unknown[]) => console.warn(...args), error: (...args: unknown[]) => console.error(...args) };

/** Starts a wllama engine (its own Web Worker, and pthread workers when `n_threads` > 1) on a model. */
export async function startEngine(model: Blob, params: LoadModelParams, log: boolean): Promise<Wllama> {
  const engine = new Wllama({ default: wasmUrl() }, { suppressNativeLog: !log, logger: log ? console : quiet });
  engine.setCompat(null);
  try {
    await engine.loadModel([model], { n_gpu_layers: 0, ...params });
    // wllama reports a model llama.cpp could not read as loaded, with no vocabulary.
    if (!(engine.getLoadedContextInfo().n_vocab > 0)) throw new Error('llama.cpp could not read it as a GGUF model (is the file complete?)');
  } catch (e) {
    await engine.exit().catch(() => {}); // its worker goes with it
    throw e;
  }
  return engine;
}
