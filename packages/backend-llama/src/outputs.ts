/**
 * The llama backend's outputs beyond core's text contract (text-io: prompt and metadata in, text
 * and usage out): the llama.cpp build in the usage JSON, and embeddings.
 */
import { jsonTensor, tensorFrom, textOutputs, type NamedTensor, type TextUsage } from '@wacs/core/backend';
import type { BuildInfo } from './engine.js';

/** WasmEdge's output metadata adds the llama.cpp build to the token counts. */
export function llamaTextOutputs(text: string, usage: TextUsage, build: BuildInfo): NamedTensor[] {
  return textOutputs(text, usage, { llama_build_number: build.buildNumber, llama_commit: build.commit });
}

/**
 * Embedding outputs: "0" is WasmEdge's JSON `{"n_embedding", "embedding"}`, then the metadata, and
 * "embedding", the vector as an FP32 tensor.
 */
export function embeddingOutputs(vector: readonly number[], inputTokens: number, build: BuildInfo): NamedTensor[] {
  const values = Float32Array.from(vector);
  return [
    { name: '0', tensor: jsonTensor({ n_embedding: values.length, embedding: Array.from(values) }) },
    ...llamaTextOutputs('', { inputTokens, outputTokens: 0 }, build).slice(1),
    { name: 'embedding', tensor: tensorFrom('FP32', [values.length], values) },
  ];
}
