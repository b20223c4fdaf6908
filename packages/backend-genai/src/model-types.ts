/**
 * The `model.type` values this backend runs: onnxruntime-genai's language models, the list of
 * `ModelType::IsLLM` in src/models/model_type.h. Followed as of microsoft/onnxruntime-genai
 * commit 02c6da9aec66b7fe9a0c88703d60e1f56f832b61 (22 types, lfm2 and internlm2 included) plus the
 * five added after it on main: gemma4_text, granitemoehybrid, hunyuandensev1, qwen3_5_text and
 * qwen3_5_moe_text (27 in all). Multimodal, audio and pipeline types (phi3v, gemma3, qwen3_5,
 * whisper, phi4mm, decoder-pipeline, …) need more than one ONNX file and are not here.
 *
 * onnxruntime-genai runs every one of them with the same decoder state (src/models/decoder_only.cpp):
 * what differs between them is which per-layer state the decoder carries, and that comes from
 * genai_config.json and the ONNX inputs (see state.ts), not from the type name.
 */
export const SUPPORTED_MODEL_TYPES = [
  'chatglm',
  'decoder',
  'ernie4_5',
  'gemma',
  'gemma2',
  'gemma3_text',
  'gemma4_text',
  'gpt2',
  'gptoss',
  'granite',
  'granitemoehybrid',
  'hunyuandensev1',
  'internlm2',
  'lfm2',
  'llama',
  'mistral',
  'nemotron',
  'olmo',
  'phi',
  'phi3',
  'phi3small',
  'phimoe',
  'qwen2',
  'qwen3',
  'qwen3_5_moe_text',
  'qwen3_5_text',
  'smollm3',
] as const;

export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

/**
 * Types whose decoder always carries a convolution state next to its KV cache, even when the
 * config does not list layer types (onnxruntime-genai's `ModelType::IsLFM2`).
 */
export function alwaysHasConvCache(type: string): boolean {
  return type === 'lfm2';
}
