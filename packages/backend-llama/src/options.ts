/**
 * The options of the GGML backend, with WasmEdge's GGML plugin keys: they come from a named-model
 * spec or load_by_name_with_config (graph options) and from a compute's `metadata` input. Every key
 * is checked here, so a typo fails with a message naming it instead of being ignored.
 */
import { NnError, type JsonValue, type Options } from '@wacs/core/backend';

/** Where an option takes effect: loading the model, creating the llama context, or one compute. */
type Scope = 'model' | 'context' | 'compute';

interface OptionSpec {
  type: 'integer' | 'number' | 'boolean' | 'string' | 'json-schema';
  scope: Scope;
  min?: number;
  max?: number;
  description: string;
}

export const OPTION_SPECS = {
  'n-predict': { type: 'integer', scope: 'compute', description: 'tokens to generate; -1: until end of text or a full context' },
  'ctx-size': { type: 'integer', scope: 'context', min: 0, description: 'context size in tokens; 0: the model\'s training context' },
  'batch-size': { type: 'integer', scope: 'context', min: 1, description: 'prompt tokens evaluated per batch' },
  threads: { type: 'integer', scope: 'context', min: 1, max: 1024, description: 'CPU threads of the llama context' },
  'n-gpu-layers': { type: 'integer', scope: 'model', min: -1, description: 'layers offloaded to the GPU; -1: all' },
  'use-mmap': { type: 'boolean', scope: 'model', description: 'memory-map the model file' },
  temp: { type: 'number', scope: 'compute', min: 0, description: 'sampling temperature; 0: greedy' },
  'top-k': { type: 'integer', scope: 'compute', min: 0, description: 'sample among the k most likely tokens; 0: all' },
  'top-p': { type: 'number', scope: 'compute', min: 0, max: 1, description: 'nucleus sampling threshold' },
  'min-p': { type: 'number', scope: 'compute', min: 0, max: 1, description: 'drop tokens below this fraction of the top probability' },
  seed: { type: 'integer', scope: 'compute', min: 0, max: 0xffffffff, description: 'sampling seed' },
  'repeat-penalty': { type: 'number', scope: 'compute', min: 0, description: 'penalty for tokens among the last 64; 1: none' },
  'presence-penalty': { type: 'number', scope: 'compute', description: 'penalty for tokens already present' },
  'frequency-penalty': { type: 'number', scope: 'compute', description: 'penalty growing with token frequency' },
  'reverse-prompt': { type: 'string', scope: 'compute', description: 'stop when the output reaches this text' },
  'stream-stdout': { type: 'boolean', scope: 'compute', description: 'print tokens to the host\'s stdout as they come' },
  'enable-log': { type: 'boolean', scope: 'compute', description: 'llama.cpp info logs on stderr' },
  'enable-debug-log': { type: 'boolean', scope: 'compute', description: 'llama.cpp debug logs on stderr' },
  grammar: { type: 'string', scope: 'compute', description: 'GBNF grammar the output must follow' },
  'json-schema': { type: 'json-schema', scope: 'compute', description: 'JSON schema the output must follow' },
  embedding: { type: 'boolean', scope: 'compute', description: 'return the prompt\'s embedding instead of generating' },
  chat: { type: 'boolean', scope: 'compute', description: 'apply the model\'s chat template and keep the conversation in the context' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTION_SPECS;

/** WasmEdge GGML keys this backend knows but cannot honour: refused with the reason. */
const UNSUPPORTED: Record<string, string> = {
  'main-gpu': 'node-llama-cpp picks the GPU itself',
  'tensor-split': 'node-llama-cpp splits layers across GPUs itself',
  'split-mode': 'node-llama-cpp splits layers across GPUs itself',
  'ubatch-size': 'node-llama-cpp has no separate micro-batch size',
  warmup: 'node-llama-cpp warms up on its own',
  mmproj: 'multimodal (llava) models are not supported',
  image: 'multimodal (llava) models are not supported',
  'always-regenerate-image-embd': 'multimodal (llava) models are not supported',
};

/** Checked option values; `undefined` means "use the default". */
export interface LlamaOptions {
  'n-predict'?: number;
  'ctx-size'?: number;
  'batch-size'?: number;
  threads?: number;
  'n-gpu-layers'?: number;
  'use-mmap'?: boolean;
  temp?: number;
  'top-k'?: number;
  'top-p'?: number;
  'min-p'?: number;
  seed?: number;
  'repeat-penalty'?: number;
  'presence-penalty'?: number;
  'frequency-penalty'?: number;
  'reverse-prompt'?: string;
  'stream-stdout'?: boolean;
  'enable-log'?: boolean;
  'enable-debug-log'?: boolean;
  grammar?: string;
  /** Kept as JSON text: it keys the grammar cache. */
  'json-schema'?: string;
  embedding?: boolean;
  chat?: boolean;
}

/** Sampling defaults (llama.cpp's, with WasmEdge's repeat penalty of 1.1). */
export const SAMPLING_DEFAULTS = { temp: 0.8, 'top-k': 40, 'top-p': 0.95, 'min-p': 0.05, 'repeat-penalty': 1.1 } as const;

/** How many recent tokens the repeat penalty looks at (llama.cpp's default). */
export const REPEAT_PENALTY_LAST_TOKENS = 64;

function describe(value: JsonValue): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

function checkValue(name: OptionName, value: JsonValue, where: string): LlamaOptions[OptionName] {
  const spec: OptionSpec = OPTION_SPECS[name];
  const fail = (expected: string) =>
    new NnError('invalid-argument', `${where}: option "${name}" must be ${expected}, got ${describe(value)} (${spec.description})`);
  switch (spec.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw fail('true or false');
      return value;
    case 'string':
      if (typeof value !== 'string') throw fail('a string');
      return value;
    case 'json-schema': {
      // WasmEdge takes the schema as JSON text; an object is accepted too.
      let schema: JsonValue = value;
      if (typeof value === 'string') {
        try {
          schema = JSON.parse(value) as JsonValue;
        } catch (e) {
          throw fail(`a JSON schema (${(e as Error).message})`);
        }
      }
      if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw fail('a JSON schema object');
      return JSON.stringify(schema);
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(spec.type === 'integer' ? 'an integer' : 'a number');
      if (spec.type === 'integer' && !Number.isInteger(value)) throw fail('an integer');
      if (spec.min !== undefined && value < spec.min) throw fail(`at least ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) throw fail(`at most ${spec.max}`);
      if (name === 'n-predict' && value === 0) throw fail('-1 (until end of text or a full context) or at least 1');
      return value;
    }
  }
}

/**
 * Checks options from any source; `where` names the source in messages ("graph options",
 * "metadata"). A `null` value clears the option back to the graph's value or the default.
 */
export function parseOptions(raw: Options | Record<string, unknown>, where: string): { set: LlamaOptions; cleared: OptionName[] } {
  const set: LlamaOptions = {};
  const cleared: OptionName[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in OPTION_SPECS)) {
      const reason = UNSUPPORTED[key];
      throw new NnError(
        'invalid-argument',
        reason
          ? `${where}: option "${key}" is not supported by the llama backend (${reason})`
          : `${where}: unknown option "${key}"; known options: ${Object.keys(OPTION_SPECS).join(', ')}`,
      );
    }
    const name = key as OptionName;
    if (value === null) cleared.push(name);
    else (set as Record<string, unknown>)[name] = checkValue(name, value as JsonValue, where);
  }
  if (set.grammar !== undefined && set['json-schema'] !== undefined) {
    throw new NnError('invalid-argument', `${where}: give "grammar" or "json-schema", not both`);
  }
  return { set, cleared };
}

/** Layers `update` over `base`: set keys replace, cleared keys go back to `initial` (or the default). */
export function mergeOptions(base: LlamaOptions, update: { set: LlamaOptions; cleared: OptionName[] }, initial: LlamaOptions = {}): LlamaOptions {
  const merged: LlamaOptions = { ...base, ...update.set };
  for (const name of update.cleared) {
    if (initial[name] === undefined) delete merged[name];
    else (merged as Record<string, unknown>)[name] = initial[name];
  }
  // A grammar replaces a JSON schema and the other way round: only one constrains the output.
  if (update.set.grammar !== undefined) delete merged['json-schema'];
  if (update.set['json-schema'] !== undefined) delete merged.grammar;
  return merged;
}

/** The model-scope options a compute may repeat but not change (they would need a reload). */
export function checkModelScope(graph: LlamaOptions, update: LlamaOptions): void {
  for (const name of Object.keys(OPTION_SPECS) as OptionName[]) {
    if (OPTION_SPECS[name].scope !== 'model' || update[name] === undefined) continue;
    if (update[name] !== graph[name]) {
      throw new NnError(
        'invalid-argument',
        `metadata: option "${name}" applies when the model loads; set it in the graph options (--model name=path,${name}=…, or load_by_name_with_config)`,
      );
    }
  }
}
