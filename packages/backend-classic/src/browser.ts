/**
 * `@wacs/backend-classic/browser`: the classic backend in a web page. PMML and ml.js models run as
 * under Node (their evaluators are plain JavaScript); ONNX-ML models run on onnxruntime-web's
 * WebAssembly build, with the same output mapping as on onnxruntime-node. Models come by URL (core's
 * `fetchModelBytes`).
 */
import { defineOptions, fetchModelBytes } from '@wacs/core/backend';
import { classicBackendOn } from './classic-backend.js';
import { detectFromHead } from './detect-head.js';
import { formatOptionsReader, JS_FORMAT_OPTIONS, JS_MODEL_OPTIONS } from './format-options.js';
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

export const classicBrowserBackend = classicBackendOn({
  options: classicBrowserOptions,
  detect: detectFromHead,
  readModel: fetchModelBytes,
  loadOnnxMl(request, bytes) {
    loadOptions(request, 'ONNX-ML'); // it takes none in a page: a user's is refused, a guest's dropped
    return loadOnnxMlWeb(request, bytes);
  },
  jsModelOptions: loadOptions,
  hardwareDetail: "PMML and ml.js evaluated in JavaScript in this page; ONNX-ML on onnxruntime-web's WebAssembly",
});

export default classicBrowserBackend;
