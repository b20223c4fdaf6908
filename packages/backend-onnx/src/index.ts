/**
 * @wacs/backend-onnx: ONNX models through onnxruntime-node (the engine layer is @wacs/onnxruntime,
 * shared with the other ONNX-based backends). Encoding `onnx`; loads `.onnx` files by name
 * (external `.onnx.data` beside them works) and bytes from guests. Graph options from the model
 * spec or a compute's metadata (options.ts), and a runner for ONNX backend node tests through a
 * guest (node-tests.ts; "conformance" is the testkit's check of this backend).
 */
import { onnxBackend } from './backend.js';

export { onnxBackend };
export { OnnxGraph } from './graph.js';
export { onnxOptions } from './options.js';
export {
  runOnnxNodeTests,
  formatNodeTestResult,
  defaultNodeTestsGuest,
  type NodeTestsOptions,
  type NodeTestsReport,
  type NodeTestResult,
} from './node-tests.js';

export default onnxBackend;
