/**
 * ONNX-ML models in a web page, on onnxruntime-web's WebAssembly build (it has the ai.onnx.ml
 * operators), with the same graph over the session as under Node (session-graph.ts). onnxruntime-web
 * is imported at the first ONNX-ML load, so a page running PMML or ml.js never starts it.
 */
import { modelLoadError, NnError, type Graph, type LoadRequest } from '@wacs/core/backend';
import type { InferenceSession } from 'onnxruntime-node';
import { onnxMlGraph, prepareOnnxMl, type OrtEngine } from './session-graph.js';

let assetsUrl: string | undefined;

/** Where onnxruntime-web's dist files (.wasm, .mjs) are served, a URL ending in `/`; default: next to its script. */
export function setOrtWebAssets(url: string | undefined): void {
  assetsUrl = url;
}

async function ortWeb(): Promise<typeof import('onnxruntime-web')> {
  const ort = await import('onnxruntime-web');
  if (assetsUrl) ort.env.wasm.wasmPaths = assetsUrl;
  // One thread: workers and shared memory cost more than they give on classical models.
  ort.env.wasm.numThreads = 1;
  return ort;
}

export async function loadOnnxMlWeb(request: LoadRequest, bytes: Uint8Array): Promise<Graph> {
  if (request.target === 'gpu' || request.target === 'tpu') {
    throw new NnError('unsupported-operation', 'ONNX-ML models run on onnxruntime-web\'s WebAssembly (CPU) in a browser; load with target cpu or auto');
  }
  const prepared = prepareOnnxMl(bytes);
  const ort = await ortWeb();
  let session: InferenceSession;
  try {
    // onnxruntime-web's session has onnxruntime-node's API (both are onnxruntime-common's).
    session = (await ort.InferenceSession.create(prepared.bytes, { executionProviders: ['wasm'] })) as unknown as InferenceSession;
  } catch (e) {
    throw modelLoadError(e, 'onnxruntime-web could not load the ONNX-ML model');
  }
  return onnxMlGraph(session, prepared.info, ort as unknown as OrtEngine);
}
