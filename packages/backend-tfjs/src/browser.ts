/**
 * `@wacs/backend-tfjs/browser`: the tfjs backend in a web page, on TensorFlow.js's browser engines:
 * WebAssembly (SIMD where the browser has it; its .wasm files from `configure({ assetsUrl })`),
 * else WebGL, else plain JavaScript. Models come by URL: a model.json and the weight shards beside
 * it (`fetchModelFiles`), or the bytes a guest passes, in the same two forms as under Node.
 */
import { defineOptions } from '@wacs/core/backend';
import { candidateVariants, cpuCandidate, engineSelector, type EngineCandidate, type EngineState } from './engine-select.js';
import { fetchModelFiles } from './model-json.js';
import { tfjsBackendOn } from './tfjs-backend.js';

export interface TfjsWebSettings {
  /** Where tfjs-backend-wasm's .wasm files are served, a URL ending in `/`; default: next to the page's script. */
  assetsUrl?: string;
}

let settings: TfjsWebSettings = {};

/** Sets where the engines' files are; call before the first load. */
export function configure(next: TfjsWebSettings): void {
  settings = { ...next };
}

const wasmCandidate: EngineCandidate = {
  name: 'wasm',
  backend: 'wasm',
  async prepare(tf) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (settings.assetsUrl) wasm.setWasmPaths(settings.assetsUrl);
    // The threaded build starts its workers from a blob: URL, which a page that allows scripts
    // from its own origin only (as `wacs web`'s) refuses; one thread, as under Node.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  },
  async describe(tf) {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return `WebAssembly ${simd ? 'SIMD' : 'without SIMD'}, 1 thread`;
  },
  installed: () => ({ available: true, detail: 'bundled; started by the first load that needs it' }),
};

const webglCandidate: EngineCandidate = {
  name: 'webgl',
  backend: 'webgl',
  async prepare() {},
  async describe() {
    return 'WebGL shaders on the GPU the browser gives';
  },
  installed: () => ({ available: true, detail: 'bundled; started by the first load that needs it' }),
};

/** The engines in a page, in the order `auto` tries them. */
export const BROWSER_CANDIDATES: readonly EngineCandidate[] = [wasmCandidate, webglCandidate, cpuCandidate];
export const BROWSER_ENGINE_NAMES = ['wasm', 'webgl', 'cpu'] as const;

const selectEngine = engineSelector(BROWSER_CANDIDATES);
/** The page's engine once a load has started it (until then a page can still ask for any). */
let started: EngineState | undefined;

async function engine(requested?: string): Promise<EngineState> {
  return (started = await selectEngine(requested));
}

export const tfjsBrowserOptions = defineOptions('tfjs', {
  engine: { type: 'choice', when: 'load', choices: BROWSER_ENGINE_NAMES, doc: 'the tfjs engine to run on in the page (default: the first that works: wasm, webgl, cpu)' },
});

export const tfjsBrowserBackend = tfjsBackendOn({
  options: tfjsBrowserOptions,
  engine,
  gpuEngine: 'webgl',
  runsIn: 'this page',
  readModelFiles: fetchModelFiles,
  async hardware() {
    // Listing the engines starts none: the first load may still ask for one (option `engine`).
    if (started) return candidateVariants(started, BROWSER_CANDIDATES);
    return BROWSER_CANDIDATES.map((candidate) => ({ name: candidate.name, active: false, ...candidate.installed() }));
  },
});

export default tfjsBrowserBackend;
