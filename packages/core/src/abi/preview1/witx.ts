/**
 * The witx ABI of `wasi_ephemeral_nn` as WasmEdge defines it: the module and function names, the
 * order of its enums, and the layout of the records guests pass by pointer.
 */
import type { ExecutionTarget, GraphEncoding } from '../../backend.js';
import type { TensorType } from '../../tensor.js';

export const WITX_MODULE = 'wasi_ephemeral_nn';

/** The functions this front end provides: the standard set, then WasmEdge's extensions. */
export const WITX_FUNCTIONS = [
  'load',
  'load_by_name',
  'load_by_name_with_config',
  'init_execution_context',
  'set_input',
  'compute',
  'get_output',
  'compute_single',
  'get_output_single',
  'fini_single',
  'unload',
  'finalize_execution_context',
] as const;
export type WitxFunctionName = (typeof WITX_FUNCTIONS)[number];

/** witx `graph_encoding` values (WasmEdge's order: autodetect 5, ggml 6; not the WIT order). */
export const WITX_ENCODINGS: readonly GraphEncoding[] = ['openvino', 'onnx', 'tensorflow', 'pytorch', 'tensorflowlite', 'autodetect', 'ggml'];
/** witx `execution_target` values. */
export const WITX_TARGETS: readonly ExecutionTarget[] = ['cpu', 'gpu', 'tpu', 'auto'];
/** witx `tensor_type` values (no BF16 in the witx ABI). */
export const WITX_TENSOR_TYPES: readonly TensorType[] = ['FP16', 'FP32', 'FP64', 'U8', 'I32', 'I64'];

/** Size of the witx `tensor` record: dims ptr, dims len, type (u8 padded to 4), data ptr, data len. */
export const TENSOR_RECORD_BYTES = 20;
/** Size of one `graph_builder` (ptr, len) in the builder array `load` takes. */
export const BUILDER_BYTES = 8;
