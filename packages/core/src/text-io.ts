/**
 * The tensor contract of text-generation backends (WasmEdge's GGML plugin convention), shared so a
 * text guest sees the same inputs and outputs whichever backend serves it: input "prompt" (index 0)
 * is UTF-8 text, input "metadata" (index 1) per-compute JSON options; output "0" is the text, "1"
 * and "metadata" the usage JSON (`input_tokens`, `output_tokens`, and what the backend adds).
 */
import { NnError } from './errors.js';
import { metadataObject, readInputs, TEXT_INPUTS } from './options/inputs.js';
import { jsonTensor, tensorText, textTensor, type NamedTensor } from './tensor.js';

export interface TextRequest {
  prompt: string;
  metadata?: Record<string, unknown>;
}

/** Reads `prompt` (or "0") and the optional `metadata` (or "1"); `backend` names the backend in errors. */
export function readTextRequest(inputs: readonly NamedTensor[], backend: string): TextRequest;
/** The same where the prompt may not be set yet (outputs read before a compute). */
export function readTextRequest(inputs: readonly NamedTensor[], backend: string, how: { promptOptional: true }): Partial<TextRequest>;
export function readTextRequest(inputs: readonly NamedTensor[], backend: string, how?: { promptOptional: true }): Partial<TextRequest> {
  const { roles } = readInputs(inputs, TEXT_INPUTS, { backend });
  if (!roles.prompt && !how?.promptOptional) {
    throw new NnError('invalid-argument', 'no prompt: pass the text as a U8 tensor named "prompt" (index 0)');
  }
  const prompt = roles.prompt && tensorText(roles.prompt);
  return roles.metadata ? { prompt, metadata: metadataObject(roles.metadata) } : { prompt };
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
