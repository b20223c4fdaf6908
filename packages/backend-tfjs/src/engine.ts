/**
 * Which TensorFlow.js engine runs the models under Node, chosen at the first load (see
 * engine-select.ts): the native bindings when installed (tfjs-node-gpu, then tfjs-node), else
 * WebAssembly, else plain JavaScript.
 */
import type { HardwareVariant } from '@wacs/core/backend';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { candidateVariants, cpuCandidate, engineSelector, type EngineCandidate, type EngineState } from './engine-select.js';

export { activateEngine, tfjs, type EngineCandidate, type EngineState, type TfModule } from './engine-select.js';

/** The engines, in the order `auto` tries them. */
export const ENGINE_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

const require = createRequire(import.meta.url);

function resolvesFrom(specifier: string): string | undefined {
  try {
    return require.resolve(specifier);
  } catch {
    return undefined;
  }
}

class NotInstalled extends Error {}

async function importInstalled(specifier: string): Promise<unknown> {
  if (!resolvesFrom(specifier)) throw new NotInstalled(specifier);
  // A variable specifier: the package is optional and absent at build time.
  return import(specifier);
}

/**
 * The native bindings: optional peer dependencies that download libtensorflow when installed.
 * `importModule` is how the package is imported (replaceable to test the failure paths).
 */
export function nativeCandidate(name: 'tfjs-node-gpu' | 'tfjs-node', importModule: (specifier: string) => Promise<unknown> = importInstalled): EngineCandidate {
  const specifier = `@tensorflow/${name}`;
  return {
    name,
    backend: 'tensorflow',
    async prepare(tf) {
      try {
        await importModule(specifier);
      } catch (e) {
        if (e instanceof NotInstalled) throw new Error(`not installed (optional: npm install ${specifier}@${tf.version_core})`);
        throw new Error(`${specifier} failed to load: ${(e as Error).message}`);
      }
      if (!tf.findBackendFactory('tensorflow')) {
        throw new Error(
          `${specifier} loaded but registered its kernels with another copy of @tensorflow/tfjs-core; install the version matching @tensorflow/tfjs ${tf.version_core}`,
        );
      }
    },
    async describe(tf) {
      const version = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding?.TF_Version;
      return `libtensorflow${version ? ` ${version}` : ''} through ${specifier}${name === 'tfjs-node-gpu' ? ' (CUDA when a GPU is visible)' : ''}`;
    },
    installed() {
      return resolvesFrom(specifier)
        ? { available: true, detail: `${specifier} is installed (not tried: another engine was chosen first)` }
        : { available: false, detail: `not installed (optional peer dependency ${specifier})` };
    },
  };
}

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** The folder holding tfjs-backend-wasm's .wasm files (next to its Node entry point). */
function wasmFolder(): string | undefined {
  const entry = resolvesFrom('@tensorflow/tfjs-backend-wasm');
  return entry && dirname(entry) + sep;
}

const wasmCandidate: EngineCandidate = {
  name: 'wasm',
  backend: 'wasm',
  async prepare() {
    const folder = wasmFolder();
    if (!folder) throw new Error('@tensorflow/tfjs-backend-wasm is not installed');
    const missing = WASM_FILES.filter((f) => !existsSync(join(folder, f)));
    if (missing.length) throw new Error(`${missing.join(', ')} missing from ${folder}`);
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // A folder prefix: under Node the .wasm files are read from disk, never fetched.
    wasm.setWasmPaths(folder);
  },
  async describe(tf) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = wasm.getThreadsCount();
    const threadNote = tf.env().getBool('IS_NODE') ? ' (tfjs-backend-wasm turns threads off under Node.js: tensorflow/tfjs#3830)' : '';
    return `WebAssembly ${simd ? 'SIMD' : 'without SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}${threadNote}`;
  },
  installed() {
    const folder = wasmFolder();
    return folder && WASM_FILES.every((f) => existsSync(join(folder, f)))
      ? { available: true, detail: 'installed (not tried: another engine was chosen first)' }
      : { available: false, detail: '@tensorflow/tfjs-backend-wasm or its .wasm files are missing' };
  },
};

export const DEFAULT_CANDIDATES: readonly EngineCandidate[] = [nativeCandidate('tfjs-node-gpu'), nativeCandidate('tfjs-node'), wasmCandidate, cpuCandidate];

/** The process's engine: the requested one, or `auto`'s choice; started at the first call (see `engineSelector`). */
export const engine: (requested?: EngineName) => Promise<EngineState> = engineSelector(DEFAULT_CANDIDATES);

/** The engines as hardware variants: the active one, the ones passed over (and why), the ones not tried. */
export function hardwareVariants(current: EngineState, candidates: readonly EngineCandidate[] = DEFAULT_CANDIDATES): HardwareVariant[] {
  return candidateVariants(current, candidates);
}
