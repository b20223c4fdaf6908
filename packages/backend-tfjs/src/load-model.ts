/** A model.json (and its weights) loaded into tfjs on the active engine, as a wasi:nn graph (both entries load so). */
import { modelLoadError } from '@wacs/core/backend';
import type { EngineState } from './engine-select.js';
import { GraphRunner, LayersRunner, TfjsGraph } from './graph.js';
import { modelKind, type ModelFiles } from './model-json.js';

export async function loadTfjsGraph(current: EngineState, source: ModelFiles): Promise<TfjsGraph> {
  const kind = modelKind(source.json);
  const { tf } = current;
  try {
    const runner =
      kind === 'layers' ? new LayersRunner(tf, await tf.loadLayersModel(source.load(tf))) : new GraphRunner(tf, await tf.loadGraphModel(source.load(tf)));
    return new TfjsGraph(tf, runner, current.active);
  } catch (e) {
    const message = (e as Error).message ?? '';
    const code = /not supported|unknown (layer|op)/i.test(message) ? 'unsupported-operation' : 'invalid-encoding';
    throw modelLoadError(e, `tfjs could not load the ${kind} model`, code);
  }
}
