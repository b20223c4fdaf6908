/** The backend object wacs binds: ONNX-ML, PMML and ml.js models, told apart by their bytes. */
import { NnError, modelLoadError, sniffBytes, type Backend, type Graph, type HardwareVariant, type LoadRequest } from '@wacs/core/backend';
import { modelBytes } from '@wacs/core/backend/node';
import { detectModel } from './detect.js';
import { loadJsModel } from './js-models.js';
import { loadOnnxMl } from './onnx-ml/model.js';
import { classicOptions, loadOptions } from './options.js';

export const classicBackend: Backend = {
  name: 'classic',
  // wasi:nn has no PMML or ml.js encoding: guests load those with `autodetect` (or by name).
  encodings: ['onnx', 'autodetect'],
  options: classicOptions,
  detect: detectModel,
  async load(request: LoadRequest): Promise<Graph> {
    try {
      return await loadModel(request);
    } catch (e) {
      throw modelLoadError(e, 'the classic backend could not load the model');
    }
  },
  async hardware(): Promise<HardwareVariant[]> {
    return [
      {
        name: 'cpu',
        available: true,
        active: true,
        detail: 'PMML and ml.js evaluated in JavaScript; ONNX-ML on onnxruntime-node (CPU)',
      },
    ];
  },
};

/** Loads ONNX-ML, PMML or ml.js by what the bytes are. */
async function loadModel(request: LoadRequest): Promise<Graph> {
  const bytes = await modelBytes(request);
  const format = sniffBytes(bytes.subarray(0, 4096)).format;
  if (format === 'onnx') return loadOnnxMl(request, bytes);
  const graph = await loadJsModel(request, bytes, format, (jsFormat) => loadOptions(request, jsFormat));
  if (graph) return graph;
  throw new NnError('invalid-encoding', `the classic backend loads ONNX-ML, PMML and ml.js JSON models; this looks like ${format}`);
}
