/** A model.json (and its weights) loaded into tfjs on the active engine, as a wasi:nn graph (both entries load so). */
import { modelLoadError } from '@wacs/core/backend';
import type { io } from '@tensorflow/tfjs';
import type { EngineState } from './engine-select.js';
import { GraphRunner, LayersRunner, TfjsGraph } from './graph.js';
import type { LayersArtifacts } from './layers-sync.js';
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
    const twinArtifacts = twin && TWIN_ENGINES.has(current.active) ? layersArtifacts(current, artifacts, twin.wanted) : undefined;
    return new TfjsGraph(tf, runner, current.active, twinArtifacts && { module: twin!.module, artifacts: twinArtifacts });
  } catch (e) {
    const message = (e as Error).message ?? '';
    const code = /not supported|unknown (layer|op)/i.test(message) ? 'unsupported-operation' : 'invalid-encoding';
    throw modelLoadError(e, `tfjs could not load the ${kind} model`, code);
  }
}

/** The artifacts a twin is built from, unless the model is too large to hold twice (or `in_thread` says no). */
function layersArtifacts({ tf }: EngineState, artifacts: io.ModelArtifacts, wanted: boolean | undefined): LayersArtifacts | undefined {
  if (wanted === false || !artifacts.modelTopology || artifacts.modelTopology instanceof ArrayBuffer) return undefined;
  const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  if (wanted === undefined && weightData.byteLength > IN_THREAD_MAX_WEIGHT_BYTES) return undefined;
  return { modelTopology: artifacts.modelTopology as Record<string, unknown>, weightSpecs: artifacts.weightSpecs ?? [], weightData: new Uint8Array(weightData) };
}
