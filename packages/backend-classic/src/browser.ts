/**
 * `@wacs/backend-classic/browser`: the classic backend in a web page. PMML and ml.js models run as
 * under Node (their evaluators are plain JavaScript); models come by URL (core's `fetchModelBytes`).
 * ONNX-ML models are refused with `unsupported-operation`: they run on onnxruntime-node, which a
 * page does not have.
 */
import {
  defineOptions,
  fetchModelBytes,
  modelLoadError,
  NnError,
  sniffBytes,
  type Backend,
  type Graph,
  type HardwareVariant,
  type LoadRequest,
} from '@wacs/core/backend';
import { detectFromHead } from './detect-head.js';
import { formatOptionsReader, JS_FORMAT_OPTIONS, JS_MODEL_OPTIONS } from './format-options.js';
import { loadJsModel } from './js-models.js';

export const classicBrowserOptions = defineOptions('classic', JS_MODEL_OPTIONS);
const loadOptions = formatOptionsReader(classicBrowserOptions, JS_FORMAT_OPTIONS);

export const ONNX_ML_IN_BROWSER =
  'ONNX-ML models need onnxruntime (Node): the classic backend runs them with onnxruntime-node under wacs run; in a browser it runs PMML and ml.js models';

async function loadModel(request: LoadRequest): Promise<Graph> {
  const bytes = await fetchModelBytes(request);
  const format = sniffBytes(bytes.subarray(0, 4096)).format;
  if (format === 'onnx') throw new NnError('unsupported-operation', ONNX_ML_IN_BROWSER);
  const graph = await loadJsModel(request, bytes, format, (jsFormat) => loadOptions(request, jsFormat));
  if (graph) return graph;
  throw new NnError('invalid-encoding', `the classic backend loads PMML and ml.js JSON models in a browser; this looks like ${format}`);
}

export const classicBrowserBackend: Backend = {
  name: 'classic',
  // wasi:nn has no PMML or ml.js encoding: guests load those with `autodetect` (or by name).
  // `onnx` is kept so that an ONNX-ML load reaches this backend and is told why it cannot run here.
  encodings: ['onnx', 'autodetect'],
  options: classicBrowserOptions,
  detect: detectFromHead,
  async load(request: LoadRequest): Promise<Graph> {
    try {
      return await loadModel(request);
    } catch (e) {
      throw modelLoadError(e, 'the classic backend could not load the model');
    }
  },
  async hardware(): Promise<HardwareVariant[]> {
    return [
      { name: 'cpu', available: true, active: true, detail: 'PMML and ml.js evaluated in JavaScript in this page' },
      { name: 'onnx-ml', available: false, detail: ONNX_ML_IN_BROWSER },
    ];
  },
};

export default classicBrowserBackend;
