/**
 * Which per-layer state tensors a decoder carries from one run to the next, and what each starts as.
 * Follows onnxruntime-genai's decoder state (src/models/io/):
 *
 * - KV cache (kv_cache.cpp, static_kv_cache.cpp): the layers whose `past_key_names` input exists in
 *   the ONNX file (hybrids and shared-KV models such as gemma4 have it on some layers only; none at
 *   all means no cache), or every layer for a combined `past_names` cache. Each starts empty
 *   (sequence 0) with its own head count and head size from the model's input shape.
 * - Convolution state (conv_kv_cache.cpp) when the type is lfm2 or `layer_types` is given: every layer
 *   that is not `full_attention` (nor has a KV input) carries `past_conv_names` → `present_conv_names`,
 *   a fixed [batch, channels, width] tensor; the KV cache is then on the attention layers only.
 * - Recurrent state (recurrent_state.cpp), e.g. qwen3_5 linear attention: the layers whose
 *   `past_recurrent_names` input exists carry it and their `past_conv_names` state together.
 *
 * Fixed-size states keep the model's element type (fp32 or fp16) and shape (batch set to 1), start
 * as zeros and are replaced by the `present` output after every run. They cannot be cut back to an
 * earlier token, so a sequence holding one is restarted instead of truncated.
 */
import { NnError } from '@wacs/core/backend';
import type { OrtTensor } from '@wacs/onnxruntime';
import { CONFIG_FILE, layerName, type GenaiConfig } from './config.js';
import { alwaysHasConvCache } from './model-types.js';

export type StateKind = 'kv' | 'conv' | 'recurrent';
export type FloatType = 'float32' | 'float16';

export interface TensorInfo {
  type: string;
  shape: ReadonlyArray<number | string>;
}

export interface StateSlot {
  kind: StateKind;
  layer: number;
  past: string;
  present: string;
  type: FloatType;
  /** Shape of the first past: sequence length 0 for a KV cache, the whole fixed shape otherwise. */
  initialDims: number[];
}

/** An int32 input with a constant value (the state-update capture inputs of speculative exports). */
export interface ConstantInput {
  name: string;
  dims: number[];
  value: number;
}

export interface DecoderStates {
  slots: StateSlot[];
  constants: ConstantInput[];
  /** Whether a sequence's state can be cut back to a prefix: only a KV cache can. */
  rewindable: boolean;
}

interface Session {
  inputs: ReadonlyMap<string, TensorInfo>;
  outputs: ReadonlySet<string>;
}

function mismatch(what: string, kind: 'input' | 'output', names: Iterable<string>): NnError {
  return new NnError('invalid-argument', `${CONFIG_FILE}: ${what}, but the decoder has no such ${kind}; its ${kind}s: ${[...names].join(', ')}`);
}

/** Layer numbers of the inputs a `%d` template matches, ascending (how onnxruntime-genai discovers them). */
function layersMatching(template: string, names: Iterable<string>): number[] {
  const at = template.indexOf('%d');
  const prefix = template.slice(0, at);
  const suffix = template.slice(at + 2);
  const layers: number[] = [];
  for (const name of names) {
    if (name.length <= prefix.length + suffix.length || !name.startsWith(prefix) || !name.endsWith(suffix)) continue;
    const number = name.slice(prefix.length, name.length - suffix.length);
    if (/^\d+$/.test(number)) layers.push(Number(number));
  }
  return layers.sort((a, b) => a - b);
}

function floatType(info: TensorInfo, name: string, what: string): FloatType {
  if (info.type !== 'float32' && info.type !== 'float16') {
    throw new NnError('unsupported-operation', `the ${what} input ${name} has type ${info.type}; the genai backend supports float32 and float16 states`);
  }
  return info.type;
}

class Planner {
  readonly slots: StateSlot[] = [];
  private readonly claimed = new Set<string>();

  constructor(
    private readonly config: GenaiConfig,
    private readonly session: Session,
  ) {}

  claims(name: string): boolean {
    return this.claimed.has(name);
  }

  private slot(kind: StateKind, layer: number, past: string, present: string, field: string, dims: (info: TensorInfo) => number[]): void {
    const info = this.session.inputs.get(past);
    if (!info) throw mismatch(`model.decoder.inputs.${field} names the input "${past}" (layer ${layer})`, 'input', this.session.inputs.keys());
    const presentField = field.replace('past', 'present');
    if (!this.session.outputs.has(present)) throw mismatch(`model.decoder.outputs.${presentField} names the output "${present}" (layer ${layer})`, 'output', this.session.outputs);
    const what = kind === 'kv' ? 'KV cache' : `${kind} state`;
    this.slots.push({ kind, layer, past, present, type: floatType(info, past, what), initialDims: dims(info) });
    this.claimed.add(past);
  }

  /** Key and value (or one combined tensor) of each layer, empty at first. */
  kv(layers: readonly number[]): void {
    const { decoder } = this.config;
    const combined = decoder.kv.combined;
    for (const layer of layers) {
      const pairs: Array<[string, string, string]> = decoder.kv.combined
        ? [[layerName(decoder.kv.past, layer), layerName(decoder.kv.present, layer), 'past_names']]
        : [
            [layerName(decoder.kv.pastKey, layer), layerName(decoder.kv.presentKey, layer), 'past_key_names'],
            [layerName(decoder.kv.pastValue, layer), layerName(decoder.kv.presentValue, layer), 'past_value_names'],
          ];
      for (const [past, present, field] of pairs) {
        this.slot('kv', layer, past, present, field, (info) => {
          // [batch, heads, sequence, head_size], with a leading 2 when key and value are combined.
          const rank = combined ? 5 : 4;
          if (info.shape.length !== rank) {
            throw new NnError('invalid-argument', `the KV cache input ${past} has rank ${info.shape.length}; a ${combined ? 'combined past_%d' : 'key/value'} cache has rank ${rank}`);
          }
          // A static head count or head size in the model wins over the config, per layer
          // (gemma4 mixes grouped-query sliding layers with single-head global ones).
          const fixed = (axis: number, fallback: number) => {
            const dim = info.shape[axis];
            return typeof dim === 'number' && dim > 0 ? dim : fallback;
          };
          const sequence = info.shape[rank - 2];
          if (typeof sequence === 'number' && sequence > 0) {
            throw new NnError(
              'unsupported-operation',
              `the KV cache input ${past} has a fixed sequence length of ${sequence} (a static-shape export that shares one past/present buffer); the genai backend grows the cache every step and cannot run it`,
            );
          }
          const heads = fixed(rank - 3, decoder.numKeyValueHeads);
          const headSize = fixed(rank - 1, decoder.headSize);
          return combined ? [2, 1, heads, 0, headSize] : [1, heads, 0, headSize];
        });
      }
    }
  }

  /** A fixed-size state whose shape the model gives; `fallbacks` fill symbolic dimensions after the batch. */
  fixed(kind: 'conv' | 'recurrent', layer: number, past: string, present: string, field: string, batchAxis: (rank: number) => number, fallbacks: Array<[number | undefined, string]> = []): void {
    this.slot(kind, layer, past, present, field, (info) => {
      const batch = batchAxis(info.shape.length);
      return info.shape.map((dim, axis) => {
        if (axis === batch) return 1;
        if (typeof dim === 'number' && dim > 0) return dim;
        const [fallback, source] = fallbacks[axis - batch - 1] ?? [undefined, ''];
        if (fallback !== undefined) return fallback;
        throw new NnError(
          'unsupported-operation',
          `the ${kind} state input ${past} has a dynamic dimension "${dim}" at axis ${axis}; a fixed-size state needs it fixed in the model${source ? ` or ${source} in ${CONFIG_FILE}` : ''}`,
        );
      });
    });
  }
}

/** The states `config` describes on a decoder with these inputs and outputs. */
export function planStates(config: GenaiConfig, session: Session): DecoderStates {
  const { decoder } = config;
  const { inputs, outputs } = decoder;
  const planner = new Planner(config, session);
  const constants: ConstantInput[] = [];

  // Recurrent layers: found by their recurrent-state input; each also carries a convolution state.
  const recurrentLayers = layersMatching(inputs.pastRecurrent, session.inputs.keys());
  for (const layer of recurrentLayers) {
    // A windowed export puts a window axis before the batch (conv rank 4, recurrent rank 5).
    planner.fixed('conv', layer, layerName(inputs.pastConv, layer), layerName(outputs.presentConv, layer), 'past_conv_names', (rank) => (rank > 3 ? 1 : 0));
    planner.fixed('recurrent', layer, layerName(inputs.pastRecurrent, layer), layerName(outputs.presentRecurrent, layer), 'past_recurrent_names', (rank) => (rank > 4 ? 1 : 0));
  }
  if (recurrentLayers.length > 0 && decoder.stateUpdateCapacity > 0) {
    // Speculative-decoding exports capture per-token updates only when asked; plain decoding never asks.
    const count = session.inputs.get(inputs.stateUpdateCaptureCount);
    const active = session.inputs.get(inputs.stateUpdateActive);
    if (count) constants.push({ name: inputs.stateUpdateCaptureCount, dims: count.shape.length === 0 ? [] : [1], value: decoder.stateUpdateCapacity });
    if (active) constants.push({ name: inputs.stateUpdateActive, dims: active.shape.length === 0 ? [] : [1], value: 0 });
  }

  if (alwaysHasConvCache(config.type) || decoder.layerTypes) {
    // Conv hybrid (lfm2): KV on the full_attention layers, a convolution state on every other one.
    const layerTypes = decoder.layerTypes;
    if (!layerTypes) {
      throw new NnError(
        'unsupported-operation',
        `${CONFIG_FILE}: model.type "${config.type}" carries a convolution state on its conv layers, but model.decoder.layer_types is missing, so which layers are conv layers is unknown (onnxruntime-genai needs it too); add it from the model's config.json`,
      );
    }
    // A layer whose KV input exists also counts as attention (a sliding_attention layer of a
    // Qwen3.5 export); onnxruntime-genai would mistake it for a conv layer and fail.
    const withKv = new Set(decoder.kv.combined ? [] : layersMatching(decoder.kv.pastKey, session.inputs.keys()));
    const attention = layerTypes.map((type, layer) => type === 'full_attention' || withKv.has(layer));
    planner.kv(layerTypes.flatMap((_, layer) => (attention[layer] ? [layer] : [])));
    layerTypes.forEach((_, layer) => {
      const past = layerName(inputs.pastConv, layer);
      if (attention[layer] || planner.claims(past)) return;
      planner.fixed('conv', layer, past, layerName(outputs.presentConv, layer), 'past_conv_names', () => 0, [
        [decoder.hiddenSize, 'model.decoder.hidden_size'],
        [decoder.convCacheSize, 'model.decoder.conv_cache_size'],
      ]);
    });
  } else if (decoder.kv.combined) {
    planner.kv(Array.from({ length: decoder.numHiddenLayers }, (_, layer) => layer));
  } else {
    planner.kv(layersMatching(decoder.kv.pastKey, session.inputs.keys()));
  }

  return { slots: planner.slots, constants, rewindable: planner.slots.every((s) => s.kind === 'kv') };
}

/** The states a sequence starts from: empty KV caches, zeroed fixed-size states (never written by ORT, so shareable). */
export function initialStates(states: DecoderStates, Tensor: typeof OrtTensor): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const slot of states.slots) {
    const size = slot.initialDims.reduce((a, b) => a * b, 1);
    feeds[slot.past] = slot.type === 'float16' ? new Tensor('float16', new Uint16Array(size), slot.initialDims) : new Tensor('float32', new Float32Array(size), slot.initialDims);
  }
  for (const constant of states.constants) feeds[constant.name] = new Tensor('int32', Int32Array.of(constant.value), constant.dims);
  return feeds;
}

/** The present outputs of a run, renamed as the next run's past inputs (the tensors themselves, no copy). */
export function nextStates(states: DecoderStates, results: Record<string, OrtTensor>, previous: Record<string, OrtTensor>): Record<string, OrtTensor> {
  const next: Record<string, OrtTensor> = {};
  for (const slot of states.slots) next[slot.past] = results[slot.present]!;
  for (const constant of states.constants) next[constant.name] = previous[constant.name]!;
  return next;
}
