/**
 * Generation options of protocol=openai: WasmEdge's GGML keys (what GGML-style text guests send as
 * graph options or `metadata`), turned into OpenAI request fields. Keys that tune the server's own
 * engine (context size, threads, GPU layers, logs) are accepted so a guest runs unchanged, and have
 * no effect: the server owns its engine.
 */
import { NnError, type JsonValue } from '@wacs/core/backend';

interface Spec {
  type: 'integer' | 'number' | 'boolean' | 'string' | 'json-schema';
  min?: number;
  max?: number;
  /** The request field it becomes; llama.cpp server extensions are marked in the README. */
  field?: string;
  description: string;
}

export const GENERATION_OPTIONS = {
  'n-predict': { type: 'integer', field: 'max_tokens', description: 'tokens to generate; -1: until the server stops' },
  temp: { type: 'number', min: 0, field: 'temperature', description: 'sampling temperature; 0: greedy' },
  'top-p': { type: 'number', min: 0, max: 1, field: 'top_p', description: 'nucleus sampling threshold' },
  seed: { type: 'integer', min: 0, max: 0xffffffff, field: 'seed', description: 'sampling seed' },
  'presence-penalty': { type: 'number', field: 'presence_penalty', description: 'penalty for tokens already present' },
  'frequency-penalty': { type: 'number', field: 'frequency_penalty', description: 'penalty growing with token frequency' },
  'reverse-prompt': { type: 'string', field: 'stop', description: 'stop before this text' },
  'json-schema': { type: 'json-schema', field: 'response_format', description: 'JSON schema the output must follow' },
  'top-k': { type: 'integer', min: 0, field: 'top_k', description: 'sample among the k most likely tokens (llama.cpp server extension)' },
  'min-p': { type: 'number', min: 0, max: 1, field: 'min_p', description: 'minimum relative probability (llama.cpp server extension)' },
  'repeat-penalty': { type: 'number', min: 0, field: 'repeat_penalty', description: 'repeat penalty (llama.cpp server extension)' },
  grammar: { type: 'string', field: 'grammar', description: 'GBNF grammar (llama.cpp server extension)' },
  chat: { type: 'boolean', description: 'send the prompt as the next user message of a conversation kept in the context (/v1/chat/completions)' },
  'stream-stdout': { type: 'boolean', description: "print tokens to the host's stdout as they come" },
  embedding: { type: 'boolean', description: "return the prompt's embedding (/v1/embeddings)" },
} as const satisfies Record<string, Spec>;

/** GGML keys about the server's engine: accepted, no effect. */
export const SERVER_SIDE_OPTIONS = ['ctx-size', 'batch-size', 'ubatch-size', 'threads', 'n-gpu-layers', 'use-mmap', 'enable-log', 'enable-debug-log'] as const;

export type GenerationOptionName = keyof typeof GENERATION_OPTIONS;
export type GenerationOptions = Partial<Record<GenerationOptionName, string | number | boolean>>;

function checkValue(name: GenerationOptionName, value: JsonValue, where: string): string | number | boolean {
  const spec: Spec = GENERATION_OPTIONS[name];
  const fail = (expected: string) => new NnError('invalid-argument', `${where}: option "${name}" must be ${expected}, got ${JSON.stringify(value)} (${spec.description})`);
  switch (spec.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw fail('true or false');
      return value;
    case 'string':
      if (typeof value !== 'string') throw fail('a string');
      return value;
    case 'json-schema': {
      let schema = value;
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
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value))) throw fail(spec.type === 'integer' ? 'an integer' : 'a number');
      if (spec.min !== undefined && value < spec.min) throw fail(`at least ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) throw fail(`at most ${spec.max}`);
      if (name === 'n-predict' && (value === 0 || value < -1)) throw fail('-1 (until the server stops) or at least 1');
      return value;
  }
}

/**
 * Layers `raw` (graph options or a compute's metadata) over `base`. A `null` value clears a key back
 * to `initial` (the graph's value) or the server's default.
 */
export function mergeGenerationOptions(base: GenerationOptions, raw: Record<string, unknown>, where: string, initial: GenerationOptions = {}): GenerationOptions {
  const merged: GenerationOptions = { ...base };
  for (const [key, value] of Object.entries(raw)) {
    if ((SERVER_SIDE_OPTIONS as readonly string[]).includes(key)) continue;
    if (!(key in GENERATION_OPTIONS)) {
      throw new NnError(
        'invalid-argument',
        `${where}: unknown option "${key}" for the remote backend (protocol openai); known options: ${[...Object.keys(GENERATION_OPTIONS), ...SERVER_SIDE_OPTIONS].join(', ')}`,
      );
    }
    const name = key as GenerationOptionName;
    if (value === null) {
      if (initial[name] === undefined) delete merged[name];
      else merged[name] = initial[name];
    } else merged[name] = checkValue(name, value as JsonValue, where);
  }
  if (merged.grammar !== undefined && merged['json-schema'] !== undefined) {
    if ('grammar' in raw && 'json-schema' in raw) throw new NnError('invalid-argument', `${where}: give "grammar" or "json-schema", not both`);
    // The one just set replaces the other.
    if ('grammar' in raw) delete merged['json-schema'];
    else delete merged.grammar;
  }
  return merged;
}

/** The request fields for these options (chat/completions share them). */
export function requestFields(options: GenerationOptions): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options) as Array<[GenerationOptionName, string | number | boolean]>) {
    const spec: Spec = GENERATION_OPTIONS[name];
    if (!spec.field) continue;
    if (name === 'n-predict') {
      if (value !== -1) fields.max_tokens = value;
    } else if (name === 'json-schema') {
      fields.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: JSON.parse(value as string), strict: true } };
    } else fields[spec.field] = value;
  }
  return fields;
}
