/**
 * @wacs/backend-genai: onnxruntime-genai model folders (genai_config.json + decoder ONNX +
 * tokenizer.json), run by a KV-cache generation loop written in TypeScript over onnxruntime-node.
 * Encoding `onnx`; claims folders only, so single .onnx files stay with backend-onnx.
 */
import { onnxBackend } from '@wacs/backend-onnx';
import type { Backend, FormatProbe, HardwareVariant, LoadRequest } from '@wacs/core/backend';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_FILE } from './config.js';
import { GenaiGraph } from './graph.js';
import { genaiOptions } from './options.js';

export { parseGenaiConfig, readGenaiConfig, SUPPORTED_MODEL_TYPES, CONFIG_FILE, type GenaiConfig, type SearchDefaults } from './config.js';
export { DecoderModel, argmaxLastLogits, lastLogits, allLogits, type RunStats } from './decoder.js';
export { generate, type StopReason } from './generator.js';
export { Sampler, Random, argmax, topK, type SamplingOptions } from './sampling.js';
export { searchSettings, withSearchOptions, type SearchSettings } from './search.js';
export { genaiOptions, type GenaiOptions } from './options.js';
export { Sequence } from './sequence.js';
export { TextCodec, TextStream, type ChatMessage } from './text.js';
export { GenaiGraph, GenaiContext } from './graph.js';

/**
 * Every subfolder of `dir` that holds a genai_config.json, as a named model (the folder's name),
 * sorted by name; for a `--models-dir`-style flag.
 */
export async function scanModelFolders(dir: string): Promise<Array<{ name: string; path: string }>> {
  const found: Array<{ name: string; path: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    const entries = await readdir(path).catch(() => [] as string[]);
    if (entries.includes(CONFIG_FILE)) found.push({ name: entry.name, path });
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const genaiBackend: Backend = {
  name: 'genai',
  encodings: ['onnx'],
  options: genaiOptions,
  detect(probe: FormatProbe): boolean {
    return probe.isDirectory && (probe.entries ?? []).includes(CONFIG_FILE);
  },
  load(request: LoadRequest) {
    return GenaiGraph.load(request);
  },
  async hardware(): Promise<HardwareVariant[]> {
    // The same engine as backend-onnx, so the same variants.
    return onnxBackend.hardware!();
  },
};

export default genaiBackend;
