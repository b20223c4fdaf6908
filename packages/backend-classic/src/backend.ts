/** The backend object wacs binds: ONNX-ML, PMML and ml.js models, told apart by their bytes. */
import { NnError, modelLoadError, sniffBytes, toNnError, type Backend, type Graph, type HardwareVariant, type LoadRequest } from '@wacs/core/backend';
import { modelBytes } from '@wacs/core/backend/node';
import { detectModel } from './detect.js';
import { JsGraph } from './graph.js';
import { loadMljs } from './mljs/models.js';
import { loadOnnxMl } from './onnx-ml/model.js';
import { classicOptions, loadOptions, names } from './options.js';
import { compilePmml } from './pmml/document.js';

/** PMML and ml.js models run in JavaScript on the host's CPU. */
function checkCpu(request: LoadRequest, format: string): void {
  if (request.target === 'gpu' || request.target === 'tpu') {
    throw new NnError('unsupported-operation', `${format} models run on the CPU only; load with target cpu or auto`);
  }
}

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
  const textContent = new TextDecoder().decode(bytes);
  if (format === 'pmml' || format === 'xml') {
    checkCpu(request, 'PMML');
    const model = compilePmml(textContent, names(loadOptions(request, 'PMML').features));
    return new JsGraph((inputs) => model.predict(inputs));
  }
  if (format === 'json') {
    checkCpu(request, 'ml.js');
    const { classes } = loadOptions(request, 'ml.js');
    let json: unknown;
    try {
      json = JSON.parse(textContent);
    } catch (e) {
      throw toNnError(e, 'invalid-encoding', 'ml.js model JSON');
    }
    const model = await loadMljs(json, names(classes));
    return new JsGraph((inputs) => model.predict(inputs));
  }
  throw new NnError('invalid-encoding', `the classic backend loads ONNX-ML, PMML and ml.js JSON models; this looks like ${format}`);
}
