/**
 * Generation options of protocol=openai, declared with core's option kit: WasmEdge's GGML keys
 * (what GGML-style text guests send as graph options or `metadata`), turned into OpenAI request
 * fields. Keys that tune the server's own engine (context size, threads, GPU layers, logs) are
 * accepted so a guest runs unchanged, and have no effect: the server owns its engine.
 */
import { defineOptions, NnError, type OptionSpec, type OptionValues } from '@wacs/core/backend';

export const GENERATION_OPTIONS = {
  'n-predict': { type: 'integer', when: 'compute', min: -1, default: -1, check: (n: number) => (n === 0 ? '-1 (until the server stops) or at least 1' : undefined), doc: 'tokens to generate; -1: until the server stops' },
  temp: { type: 'number', when: 'compute', min: 0, doc: 'sampling temperature; 0: greedy' },
  'top-p': { type: 'number', when: 'compute', min: 0, max: 1, doc: 'nucleus sampling threshold' },
  seed: { type: 'integer', when: 'compute', min: 0, max: 0xffffffff, doc: 'sampling seed' },
  'presence-penalty': { type: 'number', when: 'compute', doc: 'penalty for tokens already present' },
  'frequency-penalty': { type: 'number', when: 'compute', doc: 'penalty growing with token frequency' },
  'reverse-prompt': { type: 'strings', when: 'compute', doc: 'stop before this text (or any of a list of texts)' },
  'json-schema': { type: 'json-object', when: 'compute', doc: 'JSON schema the output must follow (an object, or its JSON text)' },
  'top-k': { type: 'integer', when: 'compute', min: 0, doc: 'sample among the k most likely tokens (llama.cpp server extension)' },
  'min-p': { type: 'number', when: 'compute', min: 0, max: 1, doc: 'minimum relative probability (llama.cpp server extension)' },
  'repeat-penalty': { type: 'number', when: 'compute', min: 0, doc: 'repeat penalty (llama.cpp server extension)' },
  grammar: { type: 'string', when: 'compute', doc: 'GBNF grammar (llama.cpp server extension)' },
  chat: { type: 'boolean', when: 'compute', default: false, doc: 'send the prompt as the next user message of a conversation kept in the context (/v1/chat/completions)' },
  'stream-stdout': { type: 'boolean', when: 'compute', default: false, doc: "print tokens to the host's stdout as they come" },
  embedding: { type: 'boolean', when: 'compute', default: false, doc: "return the prompt's embedding (/v1/embeddings)" },
} as const satisfies Record<string, OptionSpec>;

/** The request field each option becomes (the llama.cpp server extensions are marked in the README). */
const REQUEST_FIELDS: Partial<Record<GenerationOptionName, string>> = {
  'n-predict': 'max_tokens',
  temp: 'temperature',
  'top-p': 'top_p',
  seed: 'seed',
  'presence-penalty': 'presence_penalty',
  'frequency-penalty': 'frequency_penalty',
  'reverse-prompt': 'stop',
  'json-schema': 'response_format',
  'top-k': 'top_k',
  'min-p': 'min_p',
  'repeat-penalty': 'repeat_penalty',
  grammar: 'grammar',
};

/** GGML keys about the server's engine: accepted, no effect. */
export const SERVER_SIDE_OPTIONS = ['ctx-size', 'batch-size', 'ubatch-size', 'threads', 'n-gpu-layers', 'use-mmap', 'enable-log', 'enable-debug-log'] as const;

/** The generation options alone, for a compute's metadata (a null puts a key back to the graph's value). */
const generationOptions = defineOptions('remote', GENERATION_OPTIONS, { nullClears: true });

export type GenerationOptionName = keyof typeof GENERATION_OPTIONS;
export type GenerationOptions = OptionValues<typeof GENERATION_OPTIONS>;

/**
 * Layers a compute's metadata over `base` (unknown keys a guest sends are ignored). A `null` value
 * clears a key back to `initial` (the graph's value) or the server's default.
 */
export function mergeGenerationOptions(base: GenerationOptions, metadata: Record<string, unknown>, initial: GenerationOptions = {}): GenerationOptions {
  const raw = Object.fromEntries(Object.entries(metadata).filter(([key]) => !(SERVER_SIDE_OPTIONS as readonly string[]).includes(key)));
  const { values, cleared } = generationOptions.parse(raw, 'metadata');
  if (values.grammar !== undefined && values['json-schema'] !== undefined) throw new NnError('invalid-argument', 'metadata: give "grammar" or "json-schema", not both');
  const merged: GenerationOptions = { ...base, ...values };
  for (const name of cleared) {
    if (initial[name] === undefined) delete merged[name];
    else (merged as Record<string, unknown>)[name] = initial[name];
  }
  // The one just set replaces the other.
  if (values.grammar !== undefined) delete merged['json-schema'];
  if (values['json-schema'] !== undefined) delete merged.grammar;
  return merged;
}

/** The request fields for these options (chat/completions share them). */
export function requestFields(options: GenerationOptions): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options) as Array<[GenerationOptionName, string | number | boolean | string[]]>) {
    const field = REQUEST_FIELDS[name];
    if (!field) continue;
    if (name === 'n-predict') {
      if (value !== -1) fields.max_tokens = value;
    } else if (name === 'reverse-prompt') {
      // One stop sequence as a string, as every OpenAI-compatible server takes it; several as a list.
      const stops = value as string[];
      fields.stop = stops.length === 1 ? stops[0] : stops;
    } else if (name === 'json-schema') {
      fields.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: JSON.parse(value as string), strict: true } };
    } else fields[field] = value;
  }
  return fields;
}
