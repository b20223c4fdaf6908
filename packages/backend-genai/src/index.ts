/**
 * @wacs/backend-genai: onnxruntime-genai model folders (genai_config.json + decoder ONNX +
 * tokenizer.json), run by a KV-cache generation loop written in TypeScript over onnxruntime-node.
 * Encoding `onnx`; claims folders only, so single .onnx files stay with backend-onnx.
 */
import { genaiBackend } from './backend.js';

export { parseGenaiConfig, readGenaiConfig, SUPPORTED_MODEL_TYPES, CONFIG_FILE, type GenaiConfig, type SearchDefaults } from './config.js';
export { DecoderModel, argmaxLastLogits, lastLogits, allLogits, type RunStats } from './decoder.js';
export { generate, type StopReason } from './generator.js';
export { Sampler, Random, argmax, topK, type SamplingOptions } from './sampling.js';
export { searchSettings, withSearchOptions, type SearchSettings } from './search.js';
export { genaiOptions, type GenaiOptions } from './options.js';
export { Sequence } from './sequence.js';
export { TextCodec, TextStream, type ChatMessage } from './text.js';
export { GenaiGraph, GenaiContext } from './graph.js';

export { genaiBackend };

export default genaiBackend;
