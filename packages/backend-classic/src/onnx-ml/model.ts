/**
 * ONNX-ML models (scikit-learn via skl2onnx, XGBoost, LightGBM, CoreML converters) on
 * onnxruntime-node, through the session code the ONNX-based backends share (@wacs/onnxruntime);
 * the graph over the session is session-graph.ts.
 */
import { createSession, ort, sessionSettingsOf } from '@wacs/onnxruntime';
import type { Graph, LoadRequest } from '@wacs/core/backend';
import { loadOptions } from '../options.js';
import { onnxMlGraph, prepareOnnxMl } from './session-graph.js';

export async function loadOnnxMl(request: LoadRequest, bytes: Uint8Array): Promise<Graph> {
  // Session options (threads, optimisation level…) as every ONNX-based backend takes them; outputs are mapped here.
  const settings = sessionSettingsOf(loadOptions(request, 'ONNX-ML'));
  const prepared = prepareOnnxMl(bytes);
  const session = await createSession(prepared.bytes === bytes ? request : { ...request, source: { kind: 'bytes', builders: [prepared.bytes] } }, settings);
  return onnxMlGraph(session, prepared.info, await ort());
}
