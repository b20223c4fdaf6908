/**
 * genai_config.json, the file that makes a folder an onnxruntime-genai model: parsed completely for
 * what a decoder-only generator needs, with an error that names the field when something is wrong.
 * Field names and defaults follow onnxruntime-genai's own parser (src/config.cpp).
 */
import { NnError } from '@wacs/core/backend';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SUPPORTED_MODEL_TYPES } from './model-types.js';

export const CONFIG_FILE = 'genai_config.json';

export { SUPPORTED_MODEL_TYPES } from './model-types.js';

/** Session options as genai_config.json writes them (`model.decoder.session_options`). */
export interface GenaiSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  enableCpuMemArena?: boolean;
  enableMemPattern?: boolean;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  logId?: string;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  enableProfiling?: boolean;
  customOpsLibrary?: string;
  /** Execution providers in preference order, each with its string options. */
  providerOptions: Array<{ name: string; options: Record<string, string> }>;
  /** Any other key: an ORT session config entry such as `session.intra_op.allow_spinning`. */
  configEntries: Record<string, string>;
}

/** The `search` section: generation defaults a `metadata` input can override. */
export interface SearchDefaults {
  doSample: boolean;
  minLength: number;
  /** Total sequence length (prompt + generated); 0 in the file means the context length. */
  maxLength: number;
  numBeams: number;
  numReturnSequences: number;
  repetitionPenalty: number;
  topK: number;
  topP: number;
  temperature: number;
  earlyStopping: boolean;
  noRepeatNgramSize: number;
  diversityPenalty: number;
  lengthPenalty: number;
  pastPresentShareBuffer: boolean;
  /** -1: a different seed every generation. */
  randomSeed: number;
}

/** How the KV cache is named: one tensor per layer (`past_%d`) or a key and a value per layer. */
export type KvNames =
  | { combined: true; past: string; present: string }
  | { combined: false; pastKey: string; pastValue: string; presentKey: string; presentValue: string };

export interface GenaiConfig {
  type: string;
  vocabSize: number;
  contextLength: number;
  bosTokenId?: number;
  /** Generation stops at any of these. */
  eosTokenIds: number[];
  padTokenId: number;
  decoder: {
    filename: string;
    hiddenSize?: number;
    numAttentionHeads: number;
    numKeyValueHeads: number;
    headSize: number;
    numHiddenLayers: number;
    slidingWindow?: SlidingWindow;
    /** Per-layer kind (`full_attention`, `conv`, `linear_attention`, …); only hybrids list it. */
    layerTypes?: string[];
    /** Width of an LFM2 convolution state (conv_L_cache - 1); the ONNX input's shape wins when static. */
    convCacheSize?: number;
    /** Per-token state updates a speculative-decoding export captures; 0: none. */
    stateUpdateCapacity: number;
    sessionOptions: GenaiSessionOptions;
    /** Kept as read: onnxruntime-node applies no run config entries (see README). */
    runOptions: Record<string, string>;
    inputs: {
      inputIds: string;
      attentionMask: string;
      positionIds: string;
      pastSequenceLength?: string;
      totalSequenceLength?: string;
      /** `%d` templates of the fixed-size states (defaults as onnxruntime-genai's). */
      pastConv: string;
      pastRecurrent: string;
      stateUpdateCaptureCount: string;
      stateUpdateActive: string;
    };
    outputs: { logits: string; presentConv: string; presentRecurrent: string };
    kv: KvNames;
  };
  search: SearchDefaults;
}

/** `model.decoder.sliding_window`, as onnxruntime-genai reads it. */
export interface SlidingWindow {
  windowSize: number;
  padValue: number;
  alignment: 'left' | 'right';
  slideKeyValueCache: boolean;
  slideInputs: boolean;
  /** Layers that use the window (alternating patterns); empty: all. */
  layers: number[];
}

type Json = Record<string, unknown>;

function fail(field: string, problem: string): never {
  throw new NnError('invalid-argument', `${CONFIG_FILE}: ${field} ${problem}`);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads typed fields of one JSON object, naming the full path of a bad one. */
class Fields {
  constructor(
    private readonly object: Json,
    readonly path: string,
  ) {}

  private field(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.object[key] !== undefined && this.object[key] !== null;
  }

  section(key: string, required = false): Fields {
    const value = this.object[key];
    if (value === undefined || value === null) {
      if (required) fail(this.field(key), 'is missing');
      return new Fields({}, this.field(key));
    }
    if (!isObject(value)) fail(this.field(key), `must be an object, got ${JSON.stringify(value)}`);
    return new Fields(value, this.field(key));
  }

  raw(key: string): unknown {
    return this.object[key];
  }

  entries(): Array<[string, unknown]> {
    return Object.entries(this.object);
  }

  string(key: string): string | undefined {
    const value = this.object[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') fail(this.field(key), `must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') fail(this.field(key), 'is missing');
    return value;
  }

  number(key: string): number | undefined {
    const value = this.object[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(this.field(key), `must be a number, got ${JSON.stringify(value)}`);
    return value;
  }

  int(key: string, min = 0): number | undefined {
    const value = this.number(key);
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < min) fail(this.field(key), `must be an integer of at least ${min}, got ${value}`);
    return value;
  }

  requiredInt(key: string, min = 0): number {
    const value = this.int(key, min);
    if (value === undefined) fail(this.field(key), 'is missing');
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.object[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') fail(this.field(key), `must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  /** A token id, or a list of them (eos_token_id may be either). */
  ids(key: string): number[] | undefined {
    const value = this.object[key];
    if (value === undefined || value === null) return undefined;
    const list = Array.isArray(value) ? value : [value];
    for (const id of list) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        fail(this.field(key), `must be a token id or a list of token ids, got ${JSON.stringify(value)}`);
      }
    }
    return list as number[];
  }
}

const GRAPH_OPTIMIZATION: Record<string, GenaiSessionOptions['graphOptimizationLevel']> = {
  ORT_DISABLE_ALL: 'disabled',
  ORT_ENABLE_BASIC: 'basic',
  ORT_ENABLE_EXTENDED: 'extended',
  ORT_ENABLE_ALL: 'all',
};

function parseSessionOptions(fields: Fields): GenaiSessionOptions {
  const options: GenaiSessionOptions = { providerOptions: [], configEntries: {} };
  for (const [key, value] of fields.entries()) {
    switch (key) {
      case 'intra_op_num_threads':
        options.intraOpNumThreads = fields.int(key);
        break;
      case 'inter_op_num_threads':
        options.interOpNumThreads = fields.int(key);
        break;
      case 'enable_cpu_mem_arena':
        options.enableCpuMemArena = fields.boolean(key);
        break;
      case 'enable_mem_pattern':
        options.enableMemPattern = fields.boolean(key);
        break;
      case 'log_id':
        options.logId = fields.string(key);
        break;
      case 'log_severity_level': {
        const level = fields.int(key);
        if (level !== undefined && level > 4) fail(`model.decoder.session_options.${key}`, `must be 0 to 4, got ${level}`);
        options.logSeverityLevel = level as GenaiSessionOptions['logSeverityLevel'];
        break;
      }
      case 'log_verbosity_level':
        fields.int(key);
        break;
      case 'enable_profiling':
        // onnxruntime-genai takes a file prefix here; any non-empty value turns profiling on.
        options.enableProfiling = typeof value === 'boolean' ? value : Boolean(fields.string(key));
        break;
      case 'custom_ops_library':
        options.customOpsLibrary = fields.string(key);
        break;
      case 'graph_optimization_level': {
        const level = fields.string(key);
        if (level !== undefined) {
          const mapped = GRAPH_OPTIMIZATION[level];
          if (!mapped) fail(`model.decoder.session_options.${key}`, `must be one of ${Object.keys(GRAPH_OPTIMIZATION).join(', ')}, got "${level}"`);
          options.graphOptimizationLevel = mapped;
        }
        break;
      }
      case 'provider_options': {
        if (!Array.isArray(value)) fail(`model.decoder.session_options.${key}`, 'must be a list of {"<provider>": {…}} objects');
        for (const [index, entry] of value.entries()) {
          if (!isObject(entry)) fail(`model.decoder.session_options.${key}[${index}]`, 'must be an object');
          for (const [name, providerOptions] of Object.entries(entry)) {
            if (!isObject(providerOptions)) fail(`model.decoder.session_options.${key}[${index}].${name}`, 'must be an object');
            const strings: Record<string, string> = {};
            for (const [k, v] of Object.entries(providerOptions)) strings[k] = String(v);
            options.providerOptions.push({ name: name.toLowerCase(), options: strings });
          }
        }
        break;
      }
      default:
        if (typeof value !== 'string') fail(`model.decoder.session_options.${key}`, `must be a string (ORT session config entry), got ${JSON.stringify(value)}`);
        options.configEntries[key] = value;
    }
  }
  return options;
}

const SEARCH_DEFAULTS: SearchDefaults = {
  doSample: false,
  minLength: 0,
  maxLength: 0,
  numBeams: 1,
  numReturnSequences: 1,
  repetitionPenalty: 1,
  topK: 50,
  topP: 0,
  temperature: 1,
  earlyStopping: true,
  noRepeatNgramSize: 0,
  diversityPenalty: 0,
  lengthPenalty: 1,
  pastPresentShareBuffer: false,
  randomSeed: -1,
};

function parseSearch(fields: Fields, contextLength: number): SearchDefaults {
  const s = { ...SEARCH_DEFAULTS };
  s.doSample = fields.boolean('do_sample') ?? s.doSample;
  s.minLength = fields.int('min_length') ?? s.minLength;
  s.maxLength = fields.int('max_length') ?? s.maxLength;
  s.numBeams = fields.int('num_beams', 1) ?? s.numBeams;
  s.numReturnSequences = fields.int('num_return_sequences', 1) ?? s.numReturnSequences;
  s.repetitionPenalty = fields.number('repetition_penalty') ?? s.repetitionPenalty;
  s.topK = fields.int('top_k') ?? s.topK;
  s.topP = fields.number('top_p') ?? s.topP;
  s.temperature = fields.number('temperature') ?? s.temperature;
  s.earlyStopping = fields.boolean('early_stopping') ?? s.earlyStopping;
  s.noRepeatNgramSize = fields.int('no_repeat_ngram_size') ?? s.noRepeatNgramSize;
  s.diversityPenalty = fields.number('diversity_penalty') ?? s.diversityPenalty;
  s.lengthPenalty = fields.number('length_penalty') ?? s.lengthPenalty;
  s.pastPresentShareBuffer = fields.boolean('past_present_share_buffer') ?? s.pastPresentShareBuffer;
  s.randomSeed = fields.int('random_seed', -1) ?? s.randomSeed;
  // As in onnxruntime-genai: 0 (or absent) means "up to the context length".
  if (s.maxLength === 0 || s.maxLength > contextLength) s.maxLength = contextLength;
  return s;
}

/** A `%d` name template for per-layer tensors (the given name, or the default). */
function templateName(fields: Fields, key: string, fallback: string | undefined): string | undefined {
  const value = fields.string(key) ?? fallback;
  if (value !== undefined && !value.includes('%d')) fail(`${fields.path}.${key}`, `must contain %d for the layer number, got "${value}"`);
  return value;
}

/** `model.decoder.layer_types`: one string per layer when given. */
function parseLayerTypes(decoder: Fields, numHiddenLayers: number): string[] | undefined {
  const value = decoder.raw('layer_types');
  if (value === undefined || value === null) return undefined;
  const field = 'model.decoder.layer_types';
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string')) fail(field, `must be a list of layer type names, got ${JSON.stringify(value)}`);
  if (value.length !== numHiddenLayers) fail(field, `has ${value.length} entries, but num_hidden_layers is ${numHiddenLayers}`);
  return value as string[];
}

function parseSlidingWindow(fields: Fields, numHiddenLayers: number): SlidingWindow {
  const alignment = fields.string('alignment') ?? 'right';
  if (alignment !== 'left' && alignment !== 'right') fail(`${fields.path}.alignment`, `must be "left" or "right", got "${alignment}"`);
  const layers = fields.raw('layers') ?? [];
  if (!Array.isArray(layers) || layers.some((l) => !Number.isInteger(l) || l < 0 || l >= numHiddenLayers)) {
    fail(`${fields.path}.layers`, `must be a list of layer numbers below num_hidden_layers (${numHiddenLayers}), got ${JSON.stringify(layers)}`);
  }
  return {
    windowSize: fields.requiredInt('window_size', 1),
    padValue: fields.number('pad_value') ?? 0,
    alignment,
    slideKeyValueCache: fields.boolean('slide_key_value_cache') ?? true,
    slideInputs: fields.boolean('slide_inputs') ?? true,
    layers: layers as number[],
  };
}

/** Parses the text of a genai_config.json. */
export function parseGenaiConfig(text: string): GenaiConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // A model whose description cannot be read at all is a model this backend cannot decode.
    throw new NnError('invalid-encoding', `${CONFIG_FILE} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new NnError('invalid-encoding', `${CONFIG_FILE} must be a JSON object with a "model" section`);
  const root = new Fields(json, '');
  const model = root.section('model', true);

  const type = model.requiredString('type');
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(type)) {
    throw new NnError(
      'unsupported-operation',
      `${CONFIG_FILE}: model.type "${type}" is not supported by the genai backend; supported decoder-only types: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
    );
  }
  const vocabSize = model.requiredInt('vocab_size', 1);
  const contextLength = model.requiredInt('context_length', 1);
  const eosTokenIds = model.ids('eos_token_id');
  if (!eosTokenIds || eosTokenIds.length === 0) fail('model.eos_token_id', 'is missing');
  const padTokenId = model.int('pad_token_id') ?? eosTokenIds[0]!;
  const bosTokenId = model.int('bos_token_id');

  const decoder = model.section('decoder', true);
  const filename = decoder.requiredString('filename');
  const hiddenSize = decoder.int('hidden_size', 1);
  const numHiddenLayers = decoder.requiredInt('num_hidden_layers', 1);
  const numAttentionHeadsGiven = decoder.int('num_attention_heads', 1);
  const numKeyValueHeads = decoder.int('num_key_value_heads', 1) ?? numAttentionHeadsGiven;
  if (numKeyValueHeads === undefined) fail('model.decoder.num_key_value_heads', 'is missing (and so is num_attention_heads)');
  const numAttentionHeads = numAttentionHeadsGiven ?? numKeyValueHeads;
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    fail('model.decoder.num_attention_heads', `(${numAttentionHeads}) must be a multiple of num_key_value_heads (${numKeyValueHeads})`);
  }
  let headSize = decoder.int('head_size', 1);
  if (headSize === undefined) {
    if (hiddenSize === undefined) fail('model.decoder.head_size', 'is missing (and so is hidden_size to derive it from)');
    headSize = hiddenSize / numAttentionHeads;
    if (!Number.isInteger(headSize)) fail('model.decoder.head_size', `is missing and hidden_size ${hiddenSize} is not a multiple of ${numAttentionHeads} heads`);
  }

  const inputs = decoder.section('inputs');
  const outputs = decoder.section('outputs');
  const combinedPast = templateName(inputs, 'past_names', undefined);
  const combinedPresent = templateName(outputs, 'present_names', undefined);
  let kv: KvNames;
  if (combinedPast !== undefined || combinedPresent !== undefined) {
    if (combinedPast === undefined) fail('model.decoder.inputs.past_names', 'is missing (outputs.present_names is set)');
    if (combinedPresent === undefined) fail('model.decoder.outputs.present_names', 'is missing (inputs.past_names is set)');
    kv = { combined: true, past: combinedPast, present: combinedPresent };
  } else {
    kv = {
      combined: false,
      pastKey: templateName(inputs, 'past_key_names', 'past_key_values.%d.key')!,
      pastValue: templateName(inputs, 'past_value_names', 'past_key_values.%d.value')!,
      presentKey: templateName(outputs, 'present_key_names', 'present.%d.key')!,
      presentValue: templateName(outputs, 'present_value_names', 'present.%d.value')!,
    };
  }

  const layerTypes = parseLayerTypes(decoder, numHiddenLayers);
  const sessionOptions = parseSessionOptions(decoder.section('session_options'));
  const runOptions: Record<string, string> = {};
  for (const [key, value] of decoder.section('run_options').entries()) runOptions[key] = String(value);

  return {
    type,
    vocabSize,
    contextLength,
    bosTokenId,
    eosTokenIds,
    padTokenId,
    decoder: {
      filename,
      hiddenSize,
      numAttentionHeads,
      numKeyValueHeads,
      headSize,
      numHiddenLayers,
      slidingWindow: decoder.has('sliding_window') ? parseSlidingWindow(decoder.section('sliding_window'), numHiddenLayers) : undefined,
      layerTypes,
      convCacheSize: decoder.int('conv_cache_size', 1),
      stateUpdateCapacity: decoder.int('state_update_capacity') ?? 0,
      sessionOptions,
      runOptions,
      inputs: {
        inputIds: inputs.string('input_ids') ?? 'input_ids',
        attentionMask: inputs.string('attention_mask') ?? 'attention_mask',
        positionIds: inputs.string('position_ids') ?? 'position_ids',
        pastSequenceLength: inputs.string('past_sequence_length'),
        totalSequenceLength: inputs.string('total_sequence_length'),
        pastConv: templateName(inputs, 'past_conv_names', 'past_key_values.%d.conv_state')!,
        pastRecurrent: templateName(inputs, 'past_recurrent_names', 'past_key_values.%d.recurrent_state')!,
        stateUpdateCaptureCount: inputs.string('state_update_capture_count') ?? 'state_update_capture_count',
        stateUpdateActive: inputs.string('state_update_active') ?? 'state_update_active',
      },
      outputs: {
        logits: outputs.string('logits') ?? 'logits',
        presentConv: templateName(outputs, 'present_conv_names', 'present.%d.conv_state')!,
        presentRecurrent: templateName(outputs, 'present_recurrent_names', 'present.%d.recurrent_state')!,
      },
      kv,
    },
    search: parseSearch(root.section('search'), contextLength),
  };
}

/** Reads and parses `<folder>/genai_config.json`. */
export async function readGenaiConfig(folder: string): Promise<GenaiConfig> {
  let text: string;
  try {
    text = await readFile(join(folder, CONFIG_FILE), 'utf8');
  } catch {
    throw new NnError('not-found', `${folder} has no ${CONFIG_FILE}; it is not an onnxruntime-genai model folder`);
  }
  return parseGenaiConfig(text);
}

/** The name of layer `layer` from a `%d` template. */
export function layerName(template: string, layer: number): string {
  return template.replace('%d', String(layer));
}
