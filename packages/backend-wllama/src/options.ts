/**
 * The options of the wllama backend: the text-generation keys every llama.cpp backend shares (from
 * core, as backend-llama has them: sampling, `chat`, `grammar`, `json-schema`, `embedding`),
 * declared with core's option kit. They come from a named-model spec (graph options) and from a
 * compute's `metadata` input. llama.cpp here is llama-server's engine compiled to WebAssembly, so
 * the context's settings (size, batch, threads, embedding mode) are fixed when an engine starts: a
 * compute that changes them starts another engine for its context.
 */
import { defineOptions, NnError, TEXT_GENERATION_OPTIONS, type LoadRequest, type OptionSource, type OptionValues, type ParsedOptions } from '@wacs/core/backend';

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

/** Options whose empty string means "none", as in WasmEdge (LlamaEdge sends `"grammar": ""`). */
const EMPTY_MEANS_NONE = new Set(['grammar', 'json-schema', 'reverse-prompt']);

function withoutEmpty<T extends Readonly<Record<string, unknown>> | undefined>(raw: T): T {
  if (!raw) return raw;
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, value === '' && EMPTY_MEANS_NONE.has(key) ? null : value])) as T;
}

function update(parsed: ParsedOptions<typeof wllamaOptions.specs>): OptionUpdate {
  const set = parsed.values;
  if (set.grammar !== undefined && set['json-schema'] !== undefined) {
    throw new NnError('invalid-argument', 'give "grammar" or "json-schema", not both');
  }
  return { set, cleared: parsed.cleared };
}

/** Checks a compute's `metadata` (unknown keys are skipped, as in WasmEdge; bad values are invalid-argument). */
export function parseMetadata(raw: Readonly<Record<string, unknown>>, source: OptionSource = 'metadata'): OptionUpdate {
  return update(wllamaOptions.parse(withoutEmpty(raw), source));
}

/** A load request's graph options: the user's strictly, the guest's load_by_name_with_config leniently. */
export function parseLoadOptions(request: Pick<LoadRequest, 'options' | 'guestOptions'>): WllamaOptions {
  return wllamaOptions.parseLoad({ options: withoutEmpty(request.options), guestOptions: withoutEmpty(request.guestOptions) }).values;
}

/** Layers `update` over `base`: set keys replace, cleared keys go back to `initial` (or the default). */
export function mergeOptions(base: WllamaOptions, update: OptionUpdate, initial: WllamaOptions): WllamaOptions {
  const merged: WllamaOptions = { ...base, ...update.set };
  for (const name of update.cleared) {
    if (initial[name] === undefined) delete merged[name];
    else (merged as Record<string, unknown>)[name] = initial[name];
  }
  // A grammar replaces a JSON schema and the other way round: only one constrains the output.
  if (update.set.grammar !== undefined) delete merged['json-schema'];
  if (update.set['json-schema'] !== undefined) delete merged.grammar;
  return merged;
}
