/**
 * The options of text-generation backends (WasmEdge's GGML plugin keys) that mean the same on every
 * llama.cpp engine, with llama.cpp's sampling defaults: backend-llama (node-llama-cpp) and
 * backend-wllama (llama.cpp in WebAssembly) spread them into their own option sets, so a guest's
 * `metadata` means one thing whichever serves it.
 */
import { NnError } from './errors.js';
import type { OptionSpecs } from './options/spec.js';

/** Sampling defaults (llama.cpp's, with WasmEdge's repeat penalty of 1.1). */
export const SAMPLING_DEFAULTS = { temp: 0.8, 'top-k': 40, 'top-p': 0.95, 'min-p': 0.05, 'repeat-penalty': 1.1 } as const;

/** How many recent tokens the repeat penalty looks at (llama.cpp's default). */
export const REPEAT_PENALTY_LAST_TOKENS = 64;

export const TEXT_GENERATION_OPTIONS = {
  'n-predict': { type: 'integer', when: 'compute', min: -1, default: -1, doc: 'tokens to generate; -1: until end of text or a full context', check: (n: number) => (n === 0 ? '-1 (until end of text or a full context) or at least 1' : undefined) },
  'ctx-size': { type: 'integer', when: 'compute', min: 0, doc: 'context size in tokens; 0: the model\'s training context (default: that, up to 4096)' },
  'batch-size': { type: 'integer', when: 'compute', min: 1, doc: 'prompt tokens evaluated per batch (default: 512, at most ctx-size)' },
  threads: { type: 'threads', when: 'compute', min: 1, doc: 'CPU threads of the llama context (default: half the math cores)' },
  temp: { type: 'number', when: 'compute', min: 0, default: SAMPLING_DEFAULTS.temp, doc: 'sampling temperature; 0: greedy' },
  'top-k': { type: 'integer', when: 'compute', min: 0, default: SAMPLING_DEFAULTS['top-k'], doc: 'sample among the k most likely tokens; 0: all' },
  'top-p': { type: 'number', when: 'compute', min: 0, max: 1, default: SAMPLING_DEFAULTS['top-p'], doc: 'nucleus sampling threshold' },
  'min-p': { type: 'number', when: 'compute', min: 0, max: 1, default: SAMPLING_DEFAULTS['min-p'], doc: 'drop tokens below this fraction of the top probability' },
  seed: { type: 'integer', when: 'compute', min: 0, max: 0xffffffff, doc: 'sampling seed' },
  'repeat-penalty': { type: 'number', when: 'compute', min: 0, default: SAMPLING_DEFAULTS['repeat-penalty'], doc: `penalty for tokens among the last ${REPEAT_PENALTY_LAST_TOKENS}; 1: none` },
  'presence-penalty': { type: 'number', when: 'compute', default: 0, doc: 'penalty for tokens already present' },
  'frequency-penalty': { type: 'number', when: 'compute', default: 0, doc: 'penalty growing with token frequency' },
  'reverse-prompt': { type: 'strings', when: 'compute', doc: 'stop when the output reaches this text (or any of a list of texts); the output ends before it' },
  'stream-stdout': { type: 'boolean', when: 'compute', default: false, doc: 'print tokens to the host\'s stdout as they come' },
  chat: { type: 'boolean', when: 'compute', default: false, doc: 'apply the model\'s chat template and keep the conversation in the context' },
  grammar: { type: 'string', when: 'compute', doc: 'GBNF grammar the output must follow' },
  'json-schema': { type: 'json-object', when: 'compute', doc: 'JSON schema the output must follow (an object, or its JSON text)' },
  embedding: { type: 'boolean', when: 'compute', default: false, doc: 'return the prompt\'s embedding instead of generating' },
} as const satisfies OptionSpecs;

/** Options whose empty string means "none", as in WasmEdge (LlamaEdge sends `"grammar": ""`). */
const EMPTY_MEANS_NONE = new Set(['grammar', 'json-schema', 'reverse-prompt']);

/** Raw options with those empty strings made null, which the option kit reads as "back to none". */
export function emptyMeansNone<T extends Readonly<Record<string, unknown>> | undefined>(raw: T): T {
  if (!raw) return raw;
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, value === '' && EMPTY_MEANS_NONE.has(key) ? null : value])) as T;
}

/** The two options that constrain the output; one source may give one of them. */
interface OutputConstraints {
  grammar?: unknown;
  'json-schema'?: unknown;
}

/** Checks that one source's options do not give both a grammar and a JSON schema. */
export function checkOneConstraint(set: OutputConstraints): void {
  if (set.grammar !== undefined && set['json-schema'] !== undefined) {
    throw new NnError('invalid-argument', 'give "grammar" or "json-schema", not both');
  }
}

/**
 * Layers an update over `base` (a context's options, as metadata changes them): set keys replace,
 * cleared keys go back to `initial` (the graph's) or to unset; a grammar replaces a JSON schema and
 * the other way round, since only one constrains the output.
 */
export function mergeTextOptions<T extends OutputConstraints>(base: T, update: { set: T; cleared: ReadonlyArray<keyof T> }, initial: T): T {
  const merged: T = { ...base, ...update.set };
  for (const name of update.cleared) {
    if (initial[name] === undefined) delete merged[name];
    else merged[name] = initial[name];
  }
  if (update.set.grammar !== undefined) delete merged['json-schema'];
  if (update.set['json-schema'] !== undefined) delete merged.grammar;
  return merged;
}
