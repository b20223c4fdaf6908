/** A model.json (and its weights) loaded into tfjs on the active engine, as a wasi:nn graph (both entries load so). */
import { modelLoadError } from '@wacs/core/backend';
import type * as Tf from '@tensorflow/tfjs';
import type { io } from '@tensorflow/tfjs';
import type { EngineState } from './engine-select.js';
import { GraphRunner, LayersRunner, TfjsGraph } from './graph.js';
import { modelKind, type ModelFiles } from './model-json.js';

/** Models with this many bytes of weights or fewer compute in a guest's thread by default (the twin is a second copy). */
export const IN_THREAD_MAX_WEIGHT_BYTES = 64 * 2 ** 20;

/** The engines a twin can run on: those a guest's worker can start (see in-thread.ts). */
const TWIN_ENGINES = new Set(['wasm', 'cpu']);

export interface TwinSettings {
  /** The in-thread module (Node only; a page has no twins). */
  module: string;
  /** The `in_thread` option: undefined for the default. */
  wanted?: boolean;
}

export async function loadTfjsGraph(current: EngineState, source: ModelFiles, twin?: TwinSettings): Promise<TfjsGraph> {
  const kind = modelKind(source.json);
  const { tf } = current;
  try {
    const artifacts = await source.load(tf).load!();
    const loaded = tf.io.fromMemory(artifacts);
    if (kind === 'graph') return new TfjsGraph(tf, new GraphRunner(tf, await tf.loadGraphModel(loaded)), current.active);
    const runner = new LayersRunner(tf, await tf.loadLayersModel(loaded));
    const twinSource = twin && TWIN_ENGINES.has(current.active) && mayHaveTwin(runner.model, artifacts, twin.wanted);
    return new TfjsGraph(tf, runner, current.active, twinSource ? { module: twin.module, topology: artifacts.modelTopology as Record<string, unknown> } : undefined);
  } catch (e) {
    const message = (e as Error).message ?? '';
    const code = /not supported|unknown (layer|op)/i.test(message) ? 'unsupported-operation' : 'invalid-encoding';
    throw modelLoadError(e, `tfjs could not load the ${kind} model`, code);
  }
}

/** Whether a layers model may have a twin: not when `in_thread` says no, nor by default when its weights are too large to hold twice. */
function mayHaveTwin(model: Tf.LayersModel, artifacts: io.ModelArtifacts, wanted: boolean | undefined): boolean {
  if (wanted === false || !artifacts.modelTopology || artifacts.modelTopology instanceof ArrayBuffer) return false;
  const weightBytes = model.weights.reduce((sum, weight) => sum + weight.shape.reduce((n: number, d) => n * (d ?? 0), 1) * BYTES_PER_ELEMENT, 0);
  return wanted === true || weightBytes <= IN_THREAD_MAX_WEIGHT_BYTES;
}

/** float32 and int32 take 4 bytes; bool takes 1, so this errs on the large side. */
const BYTES_PER_ELEMENT = 4;
