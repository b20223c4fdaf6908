/**
 * The tensor contract of the llama backend, for both ABIs: what inputs it reads and what outputs it
 * gives. Text travels as UTF-8 in U8 tensors (the GGML convention WasmEdge guests use).
 */
import { NnError, jsonTensor, tensorFrom, tensorJson, tensorText, textTensor, type NamedTensor } from '@wacs/core/backend';
import type { BuildInfo } from './engine.js';

export interface Request {
  prompt: string;
  metadata?: Record<string, unknown>;
}

/** Reads `prompt` (or "0") and the optional `metadata` (or "1") JSON options. */
export function readInputs(inputs: NamedTensor[]): Request {
  let prompt: string | undefined;
  let metadata: Record<string, unknown> | undefined;
  for (const { name, tensor } of inputs) {
    const role = name === 'prompt' || name === '0' ? 'prompt' : name === 'metadata' || name === '1' ? 'metadata' : undefined;
    if (!role) {
      throw new NnError('invalid-argument', `unknown input "${name}": the llama backend reads "prompt" (index 0) and "metadata" (index 1)`);
    }
    if (tensor.type !== 'U8') {
      throw new NnError('invalid-argument', `input "${name}" must be a U8 tensor of UTF-8 text, got ${tensor.type}`);
    }
    if (role === 'prompt') prompt = tensorText(tensor);
    else metadata = tensorJson(tensor, 'the metadata input');
  }
  if (prompt === undefined) {
    throw new NnError('invalid-argument', 'no prompt: pass the text as a U8 tensor named "prompt" (index 0)');
  }
  return metadata ? { prompt, metadata } : { prompt };
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** WasmEdge's output metadata: token counts and the llama.cpp build. */
export function metadataJson(usage: Usage, build: BuildInfo): Record<string, number | string | null> {
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
