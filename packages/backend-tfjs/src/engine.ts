/**
 * Which TensorFlow.js engine runs the models. tfjs keeps one active backend per process, so the
 * engine is chosen once, at the first load: the native bindings when installed (tfjs-node-gpu,
 * then tfjs-node), else WebAssembly, else plain JavaScript. Like onnxruntime-common's backend
 * resolution, each engine passed over is remembered with the reason, for errors and for
 * `wacs backends`.
 */
import { NnError, type HardwareVariant } from '@wacs/core/backend';
import type * as Tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

export type TfModule = typeof Tf;

/** The engines, in the order `auto` tries them. */
export const ENGINE_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** One way to run tfjs: how to make its kernels available, and the tfjs backend name they register. */
export interface EngineCandidate {
  name: EngineName;
  /** The tfjs backend the engine registers ("tensorflow" for both native packages). */
  backend: string;
  /** Imports and registers the engine; throws with the reason it cannot. */
  prepare(tf: TfModule): Promise<void>;
  /** Runs once the engine is the active tfjs backend. */
  started?(tf: TfModule): void;
  /** A line about the engine once active (SIMD, threads, device…). */
  describe(tf: TfModule): Promise<string>;
  /** Whether the engine looks usable without initialising it (for engines never tried). */
  installed(): { available: boolean; detail: string };
}

export interface EngineState {
  tf: TfModule;
  active: EngineName;
  detail: string;
  /** Engines tried before the active one, with why each was passed over. */
  skipped: Partial<Record<EngineName, string>>;
}

const require = createRequire(import.meta.url);

let tfModule: Promise<TfModule> | undefined;

/** @tensorflow/tfjs, imported on first use so that binding the backend costs nothing until a model loads. */
export function tfjs(): Promise<TfModule> {
  // tfjs is CommonJS under Node: its exports are the ESM default.
  return (tfModule ??= import('@tensorflow/tfjs').then((m) => ((m as unknown as { default?: TfModule }).default ?? m) as TfModule));
}

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

const cpuCandidate: EngineCandidate = {
  name: 'cpu',
  backend: 'cpu',
  async prepare() {},
  started(tf) {
    // tfjs's cpu backend prints an advert for tfjs-node on its first tensor; `wacs backends`
    // already says which engines exist and why they are not used.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  },
  async describe() {
    return 'plain JavaScript kernels (the fallback)';
  },
  installed() {
    return { available: true, detail: 'plain JavaScript kernels (the fallback)' };
  },
};

export const DEFAULT_CANDIDATES: readonly EngineCandidate[] = [nativeCandidate('tfjs-node-gpu'), nativeCandidate('tfjs-node'), wasmCandidate, cpuCandidate];

/**
 * tfjs reports why a backend failed to initialise only through console.warn; collect those lines
 * while `run` runs so the reason can be remembered instead of scattered on stderr.
 */
async function withWarningsCaptured<T>(run: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  try {
    return { value: await run(), warnings };
  } finally {
    console.warn = original;
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() && !/^Initialization of backend/.test(l))?.trim() ?? text.trim();
}

/** Activates the first candidate that works; throws a runtime-error naming every reason otherwise. */
export async function activateEngine(tf: TfModule, candidates: readonly EngineCandidate[]): Promise<EngineState> {
  const skipped: EngineState['skipped'] = {};
  for (const candidate of candidates) {
    try {
      await candidate.prepare(tf);
      const { value: ok, warnings } = await withWarningsCaptured(() => tf.setBackend(candidate.backend));
      if (!ok) {
        throw new Error(warnings.length ? firstLine(warnings.join('\n')) : `tfjs could not initialise the "${candidate.backend}" backend`);
      }
      await tf.ready();
      candidate.started?.(tf);
      return { tf, active: candidate.name, detail: await candidate.describe(tf), skipped };
    } catch (e) {
      skipped[candidate.name] = firstLine((e as Error).message ?? String(e));
      // A native package that loaded but failed to start must not shadow the next one's registration.
      if (candidate.backend === 'tensorflow' && tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
    }
  }
  const reasons = Object.entries(skipped).map(([name, why]) => `${name}: ${why}`);
  throw new NnError('runtime-error', `no TensorFlow.js engine could start (${reasons.join('; ')})`);
}

let state: Promise<EngineState> | undefined;

/**
 * The process's engine: the requested one, or `auto`'s choice; started at the first call. A later
 * call asking for a different engine fails, since tfjs runs every model on the one active backend.
 */
export async function engine(requested?: EngineName): Promise<EngineState> {
  if (!state) {
    const candidates = requested ? DEFAULT_CANDIDATES.filter((c) => c.name === requested) : DEFAULT_CANDIDATES;
    const starting = tfjs().then((tf) =>
      activateEngine(tf, candidates).catch((e: NnError) => {
        // An engine asked for by name does not fall back: say it is not available here.
        throw requested ? new NnError('unsupported-operation', `engine "${requested}" is not available: ${e.message}`) : e;
      }),
    );
    state = starting;
    // A failed start is not kept: the next load tries again (and reports the same reasons).
    starting.catch(() => {
      if (state === starting) state = undefined;
    });
  }
  const current = await state;
  if (requested && requested !== current.active) {
    throw new NnError(
      'invalid-argument',
      `engine "${requested}" was asked for, but this process already runs TensorFlow.js on "${current.active}" (tfjs has one engine per process; drop the engine option or run a separate process)`,
    );
  }
  return current;
}

/** The engines as hardware variants: the active one, the ones passed over (and why), the ones not tried. */
export function hardwareVariants(current: EngineState, candidates: readonly EngineCandidate[] = DEFAULT_CANDIDATES): HardwareVariant[] {
  return candidates.map((candidate) => {
    if (candidate.name === current.active) return { name: candidate.name, available: true, active: true, detail: current.detail };
    const reason = current.skipped[candidate.name];
    if (reason !== undefined) return { name: candidate.name, available: false, active: false, detail: reason };
    return { name: candidate.name, active: false, ...candidate.installed() };
  });
}
