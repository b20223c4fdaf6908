/**
 * The options of the wllama backend: the text-generation keys every llama.cpp backend shares (from
 * core, as backend-llama has them: sampling, `chat`, `grammar`, `json-schema`, `embedding`),
 * declared with core's option kit. They come from a named-model spec (graph options) and from a
 * compute's `metadata` input. llama.cpp here is llama-server's engine compiled to WebAssembly, so
 * the context's settings (size, batch, threads, embedding mode) are fixed when an engine starts: a
 * compute that changes them starts another engine for its context.
 */
import { checkOneConstraint, defineOptions, emptyMeansNone, TEXT_GENERATION_OPTIONS, type LoadRequest, type OptionSource, type OptionValues, type ParsedOptions } from '@wacs/core/backend';

/** The threads a page may use: the browser's logical cores. */
const pageCores = () => (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 1;

export const wllamaOptions = defineOptions(
  'wllama',
  {
    ...TEXT_GENERATION_OPTIONS,
    'enable-log': { type: 'boolean', when: 'compute', default: false, doc: 'llama.cpp logs on the page\'s console' },
  },
  {
    cores: pageCores,
    // A null in metadata puts an option back to the graph's value (or the default).
    nullClears: true,
    // WasmEdge GGML keys a llama.cpp in a page cannot honour.
    unsupported: {
      'n-gpu-layers': 'wllama runs on WebAssembly (the CPU) in this backend',
      'use-mmap': 'a page has no file to map: the model is copied into WebAssembly memory',
      'main-gpu': 'wllama runs on WebAssembly (the CPU) in this backend',
      'tensor-split': 'wllama runs on WebAssembly (the CPU) in this backend',
      'split-mode': 'wllama runs on WebAssembly (the CPU) in this backend',
      mmproj: 'multimodal (llava) models are not supported',
      image: 'multimodal (llava) models are not supported',
    },
  },
);

export type WllamaOptions = OptionValues<typeof wllamaOptions.specs>;

export interface OptionUpdate {
  set: WllamaOptions;
  cleared: Array<keyof WllamaOptions>;
}

function update(parsed: ParsedOptions<typeof wllamaOptions.specs>): OptionUpdate {
  checkOneConstraint(parsed.values);
  return { set: parsed.values, cleared: parsed.cleared };
}

/** Checks a compute's `metadata` (unknown keys are skipped, as in WasmEdge; bad values are invalid-argument). */
export function parseMetadata(raw: Readonly<Record<string, unknown>>, source: OptionSource = 'metadata'): OptionUpdate {
  return update(wllamaOptions.parse(emptyMeansNone(raw), source));
}

/** A load request's graph options: the user's strictly, the guest's load_by_name_with_config leniently. */
export function parseLoadOptions(request: Pick<LoadRequest, 'options' | 'guestOptions'>): WllamaOptions {
  return wllamaOptions.parseLoad({ options: emptyMeansNone(request.options), guestOptions: emptyMeansNone(request.guestOptions) }).values;
}

