/**
 * @wacs/backend-tfjs: TensorFlow.js layers and graph models.
 * Encoding `tensorflow`; loads a model.json (or its folder) by name, or the bytes a guest passes
 * (see io.ts for the two byte forms). Engines: tfjs-node-gpu / tfjs-node when installed, else
 * WebAssembly (SIMD), else plain JavaScript (see engine.ts).
 */
import { NnError, modelLoadError, type Backend, type FormatProbe, type HardwareVariant, type LoadRequest } from '@wacs/core/backend';
import type * as Tf from '@tensorflow/tfjs';
import { engine, hardwareVariants, tfjs } from './engine.js';
import { embeddedModelJson, folderSaveHandler, modelKind, readModelBytes, readModelFiles } from './io.js';
import { GraphRunner, LayersRunner, TfjsGraph } from './model.js';
import { tfjsOptions } from './options.js';

export { engine, ENGINE_NAMES, tfjs, activateEngine, hardwareVariants, nativeCandidate, DEFAULT_CANDIDATES } from './engine.js';
export type { EngineName, EngineState, EngineCandidate, TfModule } from './engine.js';
export { modelKind, parseModelJson, readModelFiles, readModelBytes, type ModelJson, type ModelKind } from './io.js';
export { TfjsGraph, TfjsContext, LayersRunner, GraphRunner, inputIndex, type ModelRunner, type ModelInput } from './model.js';
export { toTfTensor, fromTfTensor } from './tensors.js';
export { tfjsOptions } from './options.js';
export { trainXorModel, XOR_TABLE, type XorTraining, type XorTrainingOptions } from './xor.js';

export const tfjsBackend: Backend = {
  name: 'tfjs',
  encodings: ['tensorflow'],
  options: tfjsOptions,
  detect(probe: FormatProbe): boolean {
    return probe.format === 'tfjs-model';
  },
  async load(request: LoadRequest): Promise<TfjsGraph> {
    const options = tfjsOptions.parseLoad(request).values;
    if (request.target === 'tpu') throw new NnError('unsupported-operation', 'the tfjs backend has no TPU engine');
    const current = await engine(options.engine);
    if (request.target === 'gpu' && current.active !== 'tfjs-node-gpu') {
      const why = current.skipped['tfjs-node-gpu'];
      throw new NnError(
        'unsupported-operation',
        `target gpu needs the tfjs-node-gpu engine, but this process runs on ${current.active}${why ? ` (tfjs-node-gpu: ${why})` : ''}`,
      );
    }
    const source = request.source.kind === 'path' ? await readModelFiles(request.source.path) : readModelBytes(request.source.builders);
    const kind = modelKind(source.json);
    const { tf } = current;
    try {
      const runner =
        kind === 'layers'
          ? new LayersRunner(tf, await tf.loadLayersModel(source.load(tf)))
          : new GraphRunner(tf, await tf.loadGraphModel(source.load(tf)));
      return new TfjsGraph(tf, runner, current.active);
    } catch (e) {
      const message = (e as Error).message ?? '';
      const code = /not supported|unknown (layer|op)/i.test(message) ? 'unsupported-operation' : 'invalid-encoding';
      throw modelLoadError(e, `tfjs could not load the ${kind} model`, code);
    }
  },
  async hardware(): Promise<HardwareVariant[]> {
    return hardwareVariants(await engine());
  },
};

export default tfjsBackend;

/** Saves a tfjs model (layers or graph) as model.json + weights.bin in `folder`, ready to load by name. */
export async function saveModel(model: Tf.LayersModel | Tf.GraphModel, folder: string): Promise<void> {
  await model.save(folderSaveHandler(await tfjs(), folder));
}

/** The single-JSON form (weights embedded as base64) of the model at `path`, for guests that load bytes. */
export async function embedModel(path: string): Promise<Uint8Array> {
  return embeddedModelJson(await tfjs(), path);
}
