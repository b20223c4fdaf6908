// @wacs/backend-onnx-web: ONNX models in a web page, on onnxruntime-web.
export { onnxWebBackend } from './backend.js';
export { onnxWebBackend as default } from './backend.js';
export { configure, type OnnxWebSettings } from './engine.js';
