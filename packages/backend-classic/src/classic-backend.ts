/**
 * The classic backend's one shape, for Node (backend.ts: files, onnxruntime-node) and a web page
 * (browser.ts: URLs, onnxruntime-web): what differs is how a model's bytes are read, how ONNX-ML
 * runs, and its options; PMML and ml.js load the same everywhere.
 */
import { modelLoadError, NnError, sniffBytes, type Backend, type Graph, type LoadRequest } from '@wacs/core/backend';
import type { JsModelOptions } from './format-options.js';
import { loadJsModel } from './js-models.js';

export interface ClassicEnvironment {
  options: Backend['options'];
  detect: Backend['detect'];
  readModel(request: LoadRequest): Promise<Uint8Array>;
  loadOnnxMl(request: LoadRequest, bytes: Uint8Array): Promise<Graph>;
  /** The options of a PMML or ml.js model, read from the request. */
  jsModelOptions(request: LoadRequest, format: 'PMML' | 'ml.js'): JsModelOptions;
  /** Where the evaluators run, as `wacs backends` shows it. */
  hardwareDetail: string;
}

export function classicBackendOn(env: ClassicEnvironment): Backend {
  /** Loads ONNX-ML, PMML or ml.js by what the bytes are. */
  async function loadModel(request: LoadRequest): Promise<Graph> {
    const bytes = await env.readModel(request);
    const format = sniffBytes(bytes.subarray(0, 4096)).format;
    if (format === 'onnx') return env.loadOnnxMl(request, bytes);
    const graph = await loadJsModel(request, bytes, format, (jsFormat) => env.jsModelOptions(request, jsFormat));
    if (graph) return graph;
    throw new NnError('invalid-encoding', `the classic backend loads ONNX-ML, PMML and ml.js JSON models; this looks like ${format}`);
  }

  return {
    name: 'classic',
    // wasi:nn has no PMML or ml.js encoding: guests load those with `autodetect` (or by name).
    encodings: ['onnx', 'autodetect'],
    options: env.options,
    detect: env.detect,
    async load(request: LoadRequest): Promise<Graph> {
      try {
        return await loadModel(request);
      } catch (e) {
        throw modelLoadError(e, 'the classic backend could not load the model');
      }
    },
    async hardware() {
      return [{ name: 'cpu', available: true, active: true, detail: env.hardwareDetail }];
    },
  };
}
