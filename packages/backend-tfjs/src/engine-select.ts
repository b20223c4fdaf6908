/**
 * Choosing the TensorFlow.js engine, wherever tfjs runs (Node or a page): tfjs keeps one active
 * backend per process (or page), so the engine is chosen once, at the first load, from a list of
 * candidates tried in order. Like onnxruntime-common's backend resolution, each engine passed over
 * is remembered with the reason, for errors and for `wacs backends`. Browser-safe: the candidates
 * that need Node are in engine.ts.
 */
import { NnError, type HardwareVariant } from '@wacs/core/backend';
import type * as Tf from '@tensorflow/tfjs';

export type TfModule = typeof Tf;

/** One way to run tfjs: how to make its kernels available, and the tfjs backend name they register. */
export interface EngineCandidate {
  name: string;
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
  active: string;
  detail: string;
  /** Engines tried before the active one, with why each was passed over. */
  skipped: Record<string, string>;
}

let tfModule: Promise<TfModule> | undefined;

/** @tensorflow/tfjs, imported on first use so that binding the backend costs nothing until a model loads. */
export function tfjs(): Promise<TfModule> {
  // tfjs is CommonJS under Node: its exports are the ESM default.
  return (tfModule ??= import('@tensorflow/tfjs').then((m) => ((m as unknown as { default?: TfModule }).default ?? m) as TfModule));
}

export const cpuCandidate: EngineCandidate = {
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

/**
 * The engine of this process (or page), chosen from `candidates` at the first call: the requested
 * one, or the first that starts. A later call asking for a different engine fails, since tfjs runs
 * every model on the one active backend.
 */
export function engineSelector(candidates: readonly EngineCandidate[]): (requested?: string) => Promise<EngineState> {
  let state: Promise<EngineState> | undefined;
  return async (requested) => {
    if (!state) {
      const tried = requested ? candidates.filter((c) => c.name === requested) : candidates;
      const starting = tfjs().then((tf) =>
        activateEngine(tf, tried).catch((e: NnError) => {
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
  };
}

/** The engines as hardware variants: the active one, the ones passed over (and why), the ones not tried. */
export function candidateVariants(current: EngineState, candidates: readonly EngineCandidate[]): HardwareVariant[] {
  return candidates.map((candidate) => {
    if (candidate.name === current.active) return { name: candidate.name, available: true, active: true, detail: current.detail };
    const reason = current.skipped[candidate.name];
    if (reason !== undefined) return { name: candidate.name, available: false, active: false, detail: reason };
    return { name: candidate.name, active: false, ...candidate.installed() };
  });
}
