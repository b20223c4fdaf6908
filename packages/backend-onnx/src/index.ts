/**
 * @wacs/backend-onnx: ONNX models through onnxruntime-node.
 * Encoding `onnx`; loads `.onnx` files by name (external `.onnx.data` beside them works) and bytes
 * from guests. Every wasi:nn tensor type in and out (see tensors.ts), execution targets mapped to
 * execution providers (providers.ts), graph options from the model spec or a compute's metadata
 * (options.ts), and a conformance runner for ONNX backend node tests through a guest
 * (conformance.ts).
 */
import { onnxBackend } from './backend.js';

export { onnxBackend };
export { createSession, executionProviders, modelInputName, OnnxContext, OnnxGraph, type IoInfo } from './session.js';
export { toOrtTensor, toOrtTensorWith, fromOrtTensor, howToSend, WASI_TYPE_FOR, type OnnxElementType } from './tensors.js';
export { parseGraphOptions, onnxOptions, type GraphOptions, type SessionSettings } from './options.js';
export { createWithProviders } from './providers.js';
export { ort } from './engine.js';
export * as proto from './proto.js';
export {
  runOnnxConformance,
  formatConformanceResult,
  defaultConformanceGuest,
  type ConformanceOptions,
  type ConformanceReport,
  type ConformanceResult,
} from './conformance.js';

export default onnxBackend;
