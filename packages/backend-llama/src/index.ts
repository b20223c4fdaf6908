/**
 * @wacs/backend-llama: GGUF language models through node-llama-cpp.
 * Encoding `ggml` (WasmEdge's GGML plugin contract: prompt in, text and metadata out, WasmEdge's
 * option keys); loads `.gguf` files by name (memory-mapped) and bytes from guests.
 */
import { llamaBackend } from './backend.js';

export { llamaBackend };
export { LlamaGraph, loadGraph } from './graph.js';
export { LlamaExecutionContext } from './context.js';
export { checkGguf, type GgufHeader } from './gguf-check.js';
export { llamaOptions, SAMPLING_DEFAULTS, parseOptions, type LlamaOptions, type OptionName } from './options.js';
export { llama, llamaBuildInfo, defaultThreads, type BuildInfo } from './engine.js';
export { pullModel, parsePullUri, type PullOptions, type PullSource } from './pull.js';

export default llamaBackend;
