/**
 * `@wacs/backend-classic/browser`: the classic backend in a web page. PMML and ml.js models run as
 * under Node (their evaluators are plain JavaScript); ONNX-ML models run on onnxruntime-web's
 * WebAssembly build, with the same output mapping as on onnxruntime-node. Models come by URL (core's
 * `fetchModelBytes`).
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
import { loadOnnxMlWeb, setOrtWebAssets } from './onnx-ml/model-web.js';

export const classicBrowserOptions = defineOptions('classic', JS_MODEL_OPTIONS);
const loadOptions = formatOptionsReader(classicBrowserOptions, JS_FORMAT_OPTIONS);

export interface ClassicWebSettings {
  /** Where onnxruntime-web's dist files (.wasm, .mjs) are served, for ONNX-ML models; a URL ending in `/`. */
  assetsUrl?: string;
}

/** Sets where onnxruntime-web's files are; call before the first ONNX-ML load. */
export function configure(settings: ClassicWebSettings): void {
  setOrtWebAssets(settings.assetsUrl);
}

async function loadModel(request: LoadRequest): Promise<Graph> {
  const bytes = await fetchModelBytes(request);
  const format = sniffBytes(bytes.subarray(0, 4096)).format;
  if (format === 'onnx') {
    loadOptions(request, 'ONNX-ML'); // it takes none in a page: a user's is refused, a guest's dropped
    return loadOnnxMlWeb(request, bytes);
  }
  const graph = await loadJsModel(request, bytes, format, (jsFormat) => loadOptions(request, jsFormat));
  if (graph) return graph;
  throw new NnError('invalid-encoding', `the classic backend loads ONNX-ML, PMML and ml.js JSON models; this looks like ${format}`);
}

export const classicBrowserBackend: Backend = {
  name: 'classic',
  // wasi:nn has no PMML or ml.js encoding: guests load those with `autodetect` (or by name).
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
    return [{ name: 'cpu', available: true, active: true, detail: "PMML and ml.js evaluated in JavaScript in this page; ONNX-ML on onnxruntime-web's WebAssembly" }];
  },
};

export default classicBrowserBackend;
