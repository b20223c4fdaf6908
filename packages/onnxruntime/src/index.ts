/**
 * @wacs/onnxruntime: the onnxruntime-node layer the ONNX-based backends share (backend-onnx,
 * backend-genai, backend-classic): the engine, sessions for load requests, execution targets
 * mapped to providers, wasi:nn <-> onnxruntime tensors, the session options as an option-spec
 * fragment, and a protobuf reader for ONNX files. A library, not a backend: `wacs` does not list it.
 */
export { ort, toOrtTensor, nativeEngine, startOrt, type NativeEngine, type NativeSession, type OrtModule } from './engine.js';
export { createSession, loadError, modelOrigin, openSession, originSessionOptions, type ModelOrigin } from './session.js';
export {
  EXECUTION_MODES,
  OPTIMIZATION_LEVELS,
  ortSessionOptions,
  PROVIDER_NAMES,
  SESSION_OPTIONS,
  SESSION_OPTIONS_AT_LOAD,
  sessionSettingsOf,
  type SessionSettings,
} from './session-options.js';
export { createWithProviders, hardware } from './providers.js';
export { fromOrtTensor, howToSend, toOrtTensorWith, WASI_TYPE_FOR, type OnnxElementType } from './tensors.js';
export { usesExternalData } from './external-data.js';
export * as proto from './proto.js';
export type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
