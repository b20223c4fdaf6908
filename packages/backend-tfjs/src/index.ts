/**
 * @wacs/backend-tfjs: TensorFlow.js layers and graph models.
 * Encoding `tensorflow`; loads a model.json (or its folder) by name, or the bytes a guest passes
 * (see io.ts for the two byte forms). Engines: tfjs-node-gpu / tfjs-node when installed, else
 * WebAssembly (SIMD), else plain JavaScript (see engine.ts). The XOR demo trainer is a separate
 * entry: `@wacs/backend-tfjs/demo`.
 */
import type * as Tf from '@tensorflow/tfjs';
import { tfjsBackend } from './backend.js';
import { tfjs } from './engine.js';
import { embeddedModelJson, folderSaveHandler } from './io.js';

export { tfjsBackend };
export { engine, ENGINE_NAMES, tfjs, activateEngine, hardwareVariants, nativeCandidate, DEFAULT_CANDIDATES } from './engine.js';
export type { EngineName, EngineState, EngineCandidate, TfModule } from './engine.js';
export { modelKind, parseModelJson, readModelFiles, readModelBytes, type ModelJson, type ModelKind } from './io.js';
export { TfjsGraph, TfjsContext, LayersRunner, GraphRunner, inputIndex, type ModelRunner, type ModelInput } from './graph.js';
export { toTfTensor, fromTfTensor } from './tensors.js';
export { tfjsOptions } from './options.js';

export default tfjsBackend;

/** Saves a tfjs model (layers or graph) as model.json + weights.bin in `folder`, ready to load by name. */
export async function saveModel(model: Tf.LayersModel | Tf.GraphModel, folder: string): Promise<void> {
  await model.save(folderSaveHandler(await tfjs(), folder));
}

/** The single-JSON form (weights embedded as base64) of the model at `path`, for guests that load bytes. */
export async function embedModel(path: string): Promise<Uint8Array> {
  return embeddedModelJson(await tfjs(), path);
}
