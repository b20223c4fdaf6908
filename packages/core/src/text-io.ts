/**
 * The tensor contract of text-generation backends (WasmEdge's GGML plugin convention), shared so a
 * text guest sees the same inputs and outputs whichever backend serves it: input "prompt" (index 0)
 * is UTF-8 text, input "metadata" (index 1) per-compute JSON options; output "0" is the text, "1"
 * and "metadata" the usage JSON (`input_tokens`, `output_tokens`, and what the backend adds).
 */
import { NnError } from './errors.js';
import { jsonTensor, tensorJson, tensorText, textTensor, type NamedTensor } from './tensor.js';

export interface TextRequest {
  prompt: string;
  metadata?: Record<string, unknown>;
}

/** Reads `prompt` (or "0") and the optional `metadata` (or "1"); `backend` names the backend in errors. */
export function readTextRequest(inputs: NamedTensor[], backend: string): TextRequest {
  let prompt: string | undefined;
  let metadata: Record<string, unknown> | undefined;
  for (const { name, tensor } of inputs) {
    const role = name === 'prompt' || name === '0' ? 'prompt' : name === 'metadata' || name === '1' ? 'metadata' : undefined;
    if (!role) {
      throw new NnError('invalid-argument', `unknown input "${name}": the ${backend} backend reads "prompt" (index 0) and "metadata" (index 1)`);
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

export interface TextUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * Outputs of a generation: "0" the text, then the metadata JSON named "1" (preview1 guests read
 * outputs by index) and again "metadata" (component guests read by name). `extra` adds backend
 * fields after the token counts.
 */
export function textOutputs(text: string, usage: TextUsage, extra: Record<string, unknown> = {}): NamedTensor[] {
  const metadata = jsonTensor({ input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, ...extra });
  // Each output owns its bytes (the host may transfer them), so the second is a copy, not the same view.
  return [
    { name: '0', tensor: textTensor(text) },
    { name: '1', tensor: metadata },
    { name: 'metadata', tensor: { ...metadata, dimensions: [...metadata.dimensions], data: metadata.data.slice() } },
  ];
}
