/**
 * The wllama backend's outputs: core's text contract (output "0" the text, "1" and "metadata" the
 * usage JSON) with the llama.cpp build in the usage JSON, and embeddings, as backend-llama (and
 * WasmEdge) give them.
 */
import { jsonTensor, tensorFrom, textOutputs, type NamedTensor, type TextUsage } from '@wacs/core/backend';
import { Wllama } from '@wllama/wllama';

/** The llama.cpp build wllama was compiled from: its version reads like "b6327-4d74393". */
export function llamaBuild(version = Wllama.getLibllamaVersion()): { llama_build_number: number; llama_commit: string } {
  const match = /^b?(\d+)-(\w+)/.exec(version);
  return { llama_build_number: match ? Number(match[1]) : 0, llama_commit: match ? match[2]! : version };
}

export function wllamaTextOutputs(text: string, usage: TextUsage): NamedTensor[] {
  return textOutputs(text, usage, llamaBuild());
}

/**
 * Embedding outputs: "0" is WasmEdge's JSON `{"n_embedding", "embedding"}`, then the metadata, and
 * "embedding", the vector as an FP32 tensor.
 */
export function wllamaEmbeddingOutputs(vector: readonly number[], inputTokens: number): NamedTensor[] {
  const values = Float32Array.from(vector);
  return [
    { name: '0', tensor: jsonTensor({ n_embedding: values.length, embedding: Array.from(values) }) },
    ...wllamaTextOutputs('', { inputTokens, outputTokens: 0 }).slice(1),
    { name: 'embedding', tensor: tensorFrom('FP32', [values.length], values) },
  ];
}
