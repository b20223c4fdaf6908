/**
 * @wacs/backend-classic: classical ML (trees, ensembles, linear models, k-means, SVM, naive Bayes,
 * neural networks) from ONNX-ML, PMML 4.x and ml.js models, behind one tensor contract (see
 * contract.ts and the README).
 */
import {
  modelLoadError,
  NnError,
  toNnError,
  type Backend,
  type ExecutionContext,
  type Graph,
  type HardwareVariant,
  type LoadRequest,
  type NamedTensor,
  sniffBytes,
} from '@wacs/core/backend';
import { modelBytes } from '@wacs/core/backend/node';
import { listOption, predictionTensors, readInputs, type ContractInputs, type Prediction } from './contract.js';
import { detectModel } from './detect.js';
import { loadMljs } from './mljs/models.js';
import { loadOnnxMl } from './onnx-ml/model.js';
import { compilePmml } from './pmml/document.js';

export { predictionTensors, readInputs, type ContractInputs, type Prediction } from './contract.js';
export { compilePmml, type PmmlModel } from './pmml/document.js';
export { loadMljs, mljsName, type MljsModel } from './mljs/models.js';
export { trainIrisModel, type IrisModel } from './iris.js';

function checkOptions(request: LoadRequest, known: string[], format: string): void {
  const unknown = Object.keys(request.options).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new NnError('invalid-argument', `unknown option(s) for a ${format} model: ${unknown.join(', ')}${known.length ? ` (known: ${known.join(', ')})` : ''}`);
  }
}

/** PMML and ml.js models run in JavaScript on the host's CPU. */
function checkCpu(request: LoadRequest, format: string): void {
  if (request.target === 'gpu' || request.target === 'tpu') {
    throw new NnError('unsupported-operation', `${format} models run on the CPU only; load with target cpu or auto`);
  }
}

/** A model evaluated in JavaScript: every compute is one synchronous batch. */
class JsGraph implements Graph {
  constructor(private readonly predict: (inputs: ContractInputs) => Prediction) {}

  createContext(): ExecutionContext {
    return {
      compute: async (inputs: NamedTensor[]) => {
        const given = readInputs(inputs);
        if (given.other.length) {
          throw new NnError('invalid-argument', `unknown input(s) ${given.other.map((o) => `"${o.name}"`).join(', ')}; this model takes "features" (or "0") and "metadata" (or a U8 "1")`);
        }
        try {
          return predictionTensors(this.predict(given));
        } catch (e) {
          // A model that loaded but cannot be evaluated (e.g. an ml.js forest whose trees name
          // features it does not have) is malformed; its engine's own error is no guide for a guest.
          throw modelLoadError(e, 'the model could not be evaluated', 'runtime-error');
        }
      },
      dispose: () => {},
    };
  }

  dispose(): void {}
}

export const classicBackend: Backend = {
  name: 'classic',
  // wasi:nn has no PMML or ml.js encoding: guests load those with `autodetect` (or by name).
  encodings: ['onnx', 'autodetect'],
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
    checkOptions(request, ['features'], 'PMML');
    const model = compilePmml(textContent, listOption(request.options.features, 'features'));
    return new JsGraph((inputs) => model.predict(inputs));
  }
  if (format === 'json') {
    checkCpu(request, 'ml.js');
    checkOptions(request, ['classes'], 'ml.js');
    let json: unknown;
    try {
      json = JSON.parse(textContent);
    } catch (e) {
      throw toNnError(e, 'invalid-encoding', 'ml.js model JSON');
    }
    const model = await loadMljs(json, listOption(request.options.classes, 'classes'));
    return new JsGraph((inputs) => model.predict(inputs));
  }
  throw new NnError('invalid-encoding', `the classic backend loads ONNX-ML, PMML and ml.js JSON models; this looks like ${format}`);
}

export default classicBackend;
