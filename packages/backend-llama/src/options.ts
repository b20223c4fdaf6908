/**
 * The options of the GGML backend, with WasmEdge's GGML plugin keys, declared with core's option
 * kit (the text-generation keys every llama.cpp backend shares come from core): they come from a
 * named-model spec or load_by_name_with_config (graph options) and from a compute's `metadata` input.
 */
import { availableParallelism } from 'node:os';
import { checkOneConstraint, defineOptions, emptyMeansNone, TEXT_GENERATION_OPTIONS, type LoadRequest, type OptionSource, type OptionValues, type ParsedOptions } from '@wacs/core/backend';

/** Where an option takes effect: loading the model, else each compute (context options remake the llama context). */
export const llamaOptions = defineOptions(
  'llama',
  {
    ...TEXT_GENERATION_OPTIONS,
    'n-gpu-layers': { type: 'integer', when: 'load', min: -1, doc: 'layers offloaded to the GPU; -1: all (default: what the target implies)' },
    'use-mmap': { type: 'boolean', when: 'load', default: true, doc: 'memory-map the model file' },
    parallel: {
      type: 'integer',
      when: 'load',
      min: 1,
      max: 256,
      doc: "sequences of the graph's shared llama context: generations decoded together in one batch, each with ctx-size tokens of KV cache; more wait (default: the host's concurrency, wacs serve's --instances; else 1)",
    },
    'enable-log': { type: 'boolean', when: 'compute', default: false, doc: 'llama.cpp info logs (and ignored option keys) on stderr' },
    'enable-debug-log': { type: 'boolean', when: 'compute', default: false, doc: 'llama.cpp debug logs on stderr' },
  },
  {
    cores: availableParallelism,
    // A null in metadata puts an option back to the graph's value (or the default).
    nullClears: true,
    // WasmEdge GGML keys this backend knows but cannot honour.
    unsupported: {
      'main-gpu': 'node-llama-cpp picks the GPU itself',
      'tensor-split': 'node-llama-cpp splits layers across GPUs itself',
      'split-mode': 'node-llama-cpp splits layers across GPUs itself',
      'ubatch-size': 'node-llama-cpp has no separate micro-batch size',
      warmup: 'node-llama-cpp warms up on its own',
      mmproj: 'multimodal (llava) models are not supported',
      image: 'multimodal (llava) models are not supported',
      'always-regenerate-image-embd': 'multimodal (llava) models are not supported',
    },
  },
);

export type OptionName = keyof typeof llamaOptions.specs;

/** Checked option values (`json-schema` kept as JSON text: it keys the grammar cache); `undefined` means "use the default". */
export type LlamaOptions = OptionValues<typeof llamaOptions.specs>;

export interface OptionUpdate {
  set: LlamaOptions;
  cleared: OptionName[];
  /** Unknown keys a guest sent, ignored (noted on stderr under enable-log). */
  ignored: string[];
  /** Load-time keys that arrived per compute. */
  loadTime: OptionName[];
}

export { SAMPLING_DEFAULTS, REPEAT_PENALTY_LAST_TOKENS } from '@wacs/core/backend';

function update(parsed: ParsedOptions<typeof llamaOptions.specs>): OptionUpdate {
  checkOneConstraint(parsed.values);
  return { set: parsed.values, cleared: parsed.cleared, ignored: parsed.ignored, loadTime: parsed.loadTime };
}

/** Checks options from one source (see core's option kit for how sources differ). */
export function parseOptions(raw: Readonly<Record<string, unknown>>, source: OptionSource): OptionUpdate {
  return update(llamaOptions.parse(emptyMeansNone(raw), source));
}

/** A load request's graph options: the user's strictly, the guest's load_by_name_with_config leniently. */
export function parseLoadOptions(request: Pick<LoadRequest, 'options' | 'guestOptions'>): OptionUpdate {
  return update(llamaOptions.parseLoad({ options: emptyMeansNone(request.options), guestOptions: emptyMeansNone(request.guestOptions) }));
}


/**
 * Load-time options a compute changes (WasmEdge reloads the model for them; here the graph's
 * contexts share one model, so it stays as loaded and the change is noted under enable-log).
 */
export function changedModelOptions(graph: LlamaOptions, update: LlamaOptions): OptionName[] {
  return llamaOptions.names.filter((name) => llamaOptions.specs[name].when === 'load' && update[name] !== undefined && update[name] !== graph[name]);
}

/** Under enable-log, says on stderr which keys a guest sent that this backend ignored. */
export function noteIgnored(ignored: readonly string[], options: LlamaOptions, where: string): void {
  if (ignored.length && (options['enable-log'] || options['enable-debug-log'])) {
    process.stderr.write(`wacs llama: ${where}: ignored unknown option(s) ${ignored.map((k) => `"${k}"`).join(', ')}\n`);
  }
}
