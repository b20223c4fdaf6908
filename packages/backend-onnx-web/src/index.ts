// @wacs/backend-onnx-web: ONNX models in a web page, on onnxruntime-web.
export { onnxWebBackend, configure, type OnnxWebSettings } from './backend.js';
export { onnxWebBackend as default } from './backend.js';
