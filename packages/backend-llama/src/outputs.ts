/**
 * The tensor contract of the llama backend, for both ABIs: what inputs it reads and what outputs it
 * gives. Text travels as UTF-8 in U8 tensors (the GGML convention WasmEdge guests use).
 */
import { NnError, jsonTensor, metadataObject, readInputs as readTextInputs, TEXT_INPUTS, tensorFrom, tensorText, textTensor, type NamedTensor } from '@wacs/core/backend';
import type { BuildInfo } from './engine.js';

export interface Request {
  prompt: string;
  metadata?: Record<string, unknown>;
}

/** Reads `prompt` (or "0") and the optional `metadata` (or "1") JSON options. */
export function readInputs(inputs: NamedTensor[]): Request;
/** The same where the prompt may not be set yet (outputs read before a compute). */
export function readInputs(inputs: NamedTensor[], how: { promptOptional: true }): Partial<Request>;
export function readInputs(inputs: NamedTensor[], how?: { promptOptional: true }): Partial<Request> {
  const { roles } = readTextInputs(inputs, TEXT_INPUTS, { backend: 'llama' });
  if (!roles.prompt && !how?.promptOptional) throw new NnError('invalid-argument', 'no prompt: pass the text as a U8 tensor named "prompt" (index 0)');
  const prompt = roles.prompt && tensorText(roles.prompt);
  return roles.metadata ? { prompt, metadata: metadataObject(roles.metadata) } : { prompt };
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** WasmEdge's output metadata: token counts and the llama.cpp build. */
export function metadataJson(usage: Usage, build: BuildInfo): Record<string, number | string> {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    llama_build_number: build.buildNumber,
    llama_commit: build.commit,
  };
}

/**
 * Outputs: "0" the text, then the metadata JSON named "1" (preview1 guests read outputs by index)
 * and again "metadata" (for component guests, by name).
 */
export function textOutputs(text: string, usage: Usage, build: BuildInfo): NamedTensor[] {
  const metadata = metadataJson(usage, build);
  return [
    { name: '0', tensor: textTensor(text) },
    { name: '1', tensor: jsonTensor(metadata) },
    { name: 'metadata', tensor: jsonTensor(metadata) },
  ];
}

/**
 * Embedding outputs: "0" is WasmEdge's JSON `{"n_embedding", "embedding"}`, then the metadata, and
 * "embedding", the vector as an FP32 tensor.
 */
export function embeddingOutputs(vector: readonly number[], inputTokens: number, build: BuildInfo): NamedTensor[] {
  const values = Float32Array.from(vector);
  return [
    { name: '0', tensor: jsonTensor({ n_embedding: values.length, embedding: Array.from(values) }) },
    ...textOutputs('', { inputTokens, outputTokens: 0 }, build).slice(1),
    { name: 'embedding', tensor: tensorFrom('FP32', [values.length], values) },
  ];
}
