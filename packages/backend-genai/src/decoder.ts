/**
 * The decoder ONNX file of a GenAI folder as an onnxruntime-node session, and one sequence's state
 * on it (KV cache, attention mask, positions). The I/O layout comes from genai_config.json; the
 * element types (int32/int64 ids, fp32/fp16 KV and logits) come from the model itself.
 */
import { createWithProviders, ort } from '@wacs/backend-onnx';
import { halfToFloat, NnError, toNnError, type ExecutionTarget } from '@wacs/core/backend';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { argmaxF32, argmaxI16 } from './argmax.js';
import { CONFIG_FILE, layerName, type GenaiConfig } from './config.js';

type IntType = 'int32' | 'int64';
type FloatType = 'float32' | 'float16';

/** Where the time of a generation went: the ORT `run` calls versus everything around them. */
export interface RunStats {
  runs: number;
  runMs: number;
  /** Tokens fed through the decoder (prompt tokens taken from a kept cache are not). */
  tokens: number;
}

/** Session options a `--model …,key=value` qualifier may set. */
export interface SessionOverrides {
  threads?: number;
}

/** Session options from genai_config.json; the providers follow the wasi:nn target (see backend-onnx). */
function sessionOptions(config: GenaiConfig, overrides: SessionOverrides): InferenceSession.SessionOptions {
  const s = config.decoder.sessionOptions;
  if (s.customOpsLibrary) {
    throw new NnError('unsupported-operation', `${CONFIG_FILE}: model.decoder.session_options.custom_ops_library is set, but onnxruntime-node cannot load custom op libraries`);
  }
  const options: InferenceSession.SessionOptions = {};
  const threads = overrides.threads ?? s.intraOpNumThreads;
  if (threads !== undefined) options.intraOpNumThreads = threads;
  if (s.interOpNumThreads !== undefined) options.interOpNumThreads = s.interOpNumThreads;
  if (s.enableCpuMemArena !== undefined) options.enableCpuMemArena = s.enableCpuMemArena;
  if (s.enableMemPattern !== undefined) options.enableMemPattern = s.enableMemPattern;
  if (s.graphOptimizationLevel !== undefined) options.graphOptimizationLevel = s.graphOptimizationLevel;
  if (s.logId !== undefined) options.logId = s.logId;
  if (s.logSeverityLevel !== undefined) options.logSeverityLevel = s.logSeverityLevel;
  if (s.enableProfiling !== undefined) options.enableProfiling = s.enableProfiling;
  if (Object.keys(s.configEntries).length) options.extra = { ...s.configEntries };
  return options;
}

interface TensorInfo {
  type: string;
  shape: ReadonlyArray<number | string>;
}

/** One layer's cache tensors: one combined name, or a key and a value name. */
interface KvSlot {
  past: string;
  present: string;
  /** The empty cache this input starts from: its shape with 0 in the sequence dimension. */
  emptyDims: number[];
}

let halfTable: Float32Array | undefined;

/** fp16 bits → fp32, through a 64 Ki-entry table (a logits row is tens of thousands of values). */
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** The logits of the last position of a [batch, seq, vocab] (or [batch, vocab]) output, as fp32. */
export function lastLogits(logits: OrtTensor, vocabSize: number, into?: Float32Array): Float32Array {
  const data = logits.data as Float32Array | Uint16Array;
  const end = data.length;
  if (end < vocabSize || end % vocabSize !== 0) {
    throw new NnError('runtime-error', `the model's logits have shape [${logits.dims.join(', ')}], which does not end in the vocabulary size ${vocabSize}`);
  }
  if (logits.type === 'float32') return (data as Float32Array).subarray(end - vocabSize, end);
  const table = halfToFloatTable();
  const out = into && into.length === vocabSize ? into : new Float32Array(vocabSize);
  for (let i = 0, j = end - vocabSize; i < vocabSize; i++, j++) out[i] = table[data[j]!]!;
  return out;
}

/**
 * The greedy token straight from the logits output. fp16 logits are not widened: read as int16,
 * positive halves order exactly like the numbers they encode and every negative one is below
 * them, so when the largest logit is positive an int16 argmax finds it. Otherwise (all logits
 * ≤ 0, a NaN) the logits are widened and compared as floats.
 */
export function argmaxLastLogits(logits: OrtTensor, vocabSize: number): number {
  const data = logits.data as Float32Array | Uint16Array;
  const offset = data.length - vocabSize;
  if (logits.type === 'float32') return argmaxF32(data as Float32Array, offset, vocabSize);
  const halves = new Int16Array(data.buffer, data.byteOffset, data.length);
  const best = argmaxI16(halves, offset, vocabSize);
  const bits = halves[offset + best]!;
  // 0: a -0 may tie with it; above 0x7c00: NaN.
  if (bits > 0 && bits <= 0x7c00) return best;
  return argmaxF32(lastLogits(logits, vocabSize));
}

/** All logits as fp32 (the `input_ids` → `logits` contract). */
export function allLogits(logits: OrtTensor): Float32Array {
  if (logits.type === 'float32') return logits.data as Float32Array;
  const data = logits.data as Uint16Array;
  const table = halfToFloatTable();
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = table[data[i]!]!;
  return out;
}

export class DecoderModel {
  readonly idType: IntType;
  readonly kvType: FloatType;
  private readonly inputs: Map<string, TensorInfo>;
  private readonly kv: KvSlot[];
  readonly maskType?: IntType;
  readonly positionType?: IntType;
  /** Time spent inside ORT `run`, for the benchmark's overhead figure. */
  readonly stats: RunStats = { runs: 0, runMs: 0, tokens: 0 };

  private constructor(
    readonly session: InferenceSession,
    readonly config: GenaiConfig,
  ) {
    const io = config.decoder;
    this.inputs = new Map(session.inputMetadata.filter((m) => m.isTensor).map((m) => [m.name, m as TensorInfo]));
    const outputs = new Set(session.outputNames);
    const input = (name: string, field: string): TensorInfo => {
      const info = this.inputs.get(name);
      if (!info) throw this.mismatch(`${field} names the input "${name}"`, 'inputs', session.inputNames);
      return info;
    };
    const output = (name: string, field: string): void => {
      if (!outputs.has(name)) throw this.mismatch(`${field} names the output "${name}"`, 'outputs', session.outputNames);
    };

    this.idType = intType(input(io.inputs.inputIds, 'model.decoder.inputs.input_ids'), io.inputs.inputIds);
    // The mask and the positions are optional: some exports compute them inside the graph.
    const mask = this.inputs.get(io.inputs.attentionMask);
    if (mask) this.maskType = intType(mask, io.inputs.attentionMask);
    const positions = this.inputs.get(io.inputs.positionIds);
    if (positions) this.positionType = intType(positions, io.inputs.positionIds);
    output(io.outputs.logits, 'model.decoder.outputs.logits');

    this.kv = [];
    for (let layer = 0; layer < io.numHiddenLayers; layer++) {
      const pairs: Array<[string, string, string]> = io.kv.combined
        ? [[layerName(io.kv.past, layer), layerName(io.kv.present, layer), 'past_names']]
        : [
            [layerName(io.kv.pastKey, layer), layerName(io.kv.presentKey, layer), 'past_key_names'],
            [layerName(io.kv.pastValue, layer), layerName(io.kv.presentValue, layer), 'past_value_names'],
          ];
      for (const [past, present, field] of pairs) {
        const info = input(past, `model.decoder.inputs.${field} (layer ${layer})`);
        output(present, `model.decoder.outputs.${field.replace('past', 'present')} (layer ${layer})`);
        this.kv.push({ past, present, emptyDims: this.emptyCacheDims(info, past) });
      }
    }
    const kvTypes = new Set(this.kv.map((slot) => this.inputs.get(slot.past)!.type));
    const kvType = [...kvTypes][0];
    if (kvTypes.size !== 1 || (kvType !== 'float32' && kvType !== 'float16')) {
      throw new NnError('unsupported-operation', `the KV cache inputs have types ${[...kvTypes].join(', ')}; the genai backend supports float32 and float16 caches`);
    }
    this.kvType = kvType;

    const fed = new Set([io.inputs.inputIds, io.inputs.attentionMask, io.inputs.positionIds, ...this.kv.map((s) => s.past)]);
    if (io.inputs.pastSequenceLength) fed.add(io.inputs.pastSequenceLength);
    if (io.inputs.totalSequenceLength) fed.add(io.inputs.totalSequenceLength);
    const unknown = session.inputNames.filter((name) => !fed.has(name));
    if (unknown.length) {
      throw new NnError(
        'unsupported-operation',
        `the decoder has input(s) ${unknown.join(', ')} that genai_config.json does not describe; the genai backend feeds input_ids, attention_mask, position_ids, the KV cache and sequence lengths`,
      );
    }
    const logitsType = session.outputMetadata.find((m) => m.name === io.outputs.logits);
    if (logitsType?.isTensor && logitsType.type !== 'float32' && logitsType.type !== 'float16') {
      throw new NnError('unsupported-operation', `the logits output has type ${logitsType.type}; float32 or float16 expected`);
    }
  }

  private mismatch(what: string, kind: string, names: readonly string[]): NnError {
    return new NnError('invalid-argument', `${CONFIG_FILE}: ${what}, but the decoder has no such ${kind.slice(0, -1)}; its ${kind}: ${names.join(', ')}`);
  }

  /** The shape of an empty cache: batch 1, sequence 0, heads and head size from genai_config.json. */
  private emptyCacheDims(info: TensorInfo, name: string): number[] {
    const d = this.config.decoder;
    const expected = this.config.decoder.kv.combined ? [2, 1, d.numKeyValueHeads, 0, d.headSize] : [1, d.numKeyValueHeads, 0, d.headSize];
    if (info.shape.length !== expected.length) {
      throw new NnError('invalid-argument', `the KV cache input ${name} has rank ${info.shape.length}; a ${this.config.decoder.kv.combined ? 'combined past_%d' : 'key/value'} cache has rank ${expected.length}`);
    }
    const fields = this.config.decoder.kv.combined ? ['', '', 'num_key_value_heads', '', 'head_size'] : ['', 'num_key_value_heads', '', 'head_size'];
    info.shape.forEach((dim, i) => {
      if (typeof dim === 'number' && fields[i] && dim !== expected[i]) {
        throw new NnError('invalid-argument', `${CONFIG_FILE}: model.decoder.${fields[i]} is ${expected[i]}, but the decoder's ${name} has ${dim} there`);
      }
    });
    return expected;
  }

  static async load(folder: string, config: GenaiConfig, target: ExecutionTarget, overrides: SessionOverrides = {}): Promise<DecoderModel> {
    const path = join(folder, config.decoder.filename);
    try {
      await access(path);
    } catch {
      throw new NnError('not-found', `the decoder file ${config.decoder.filename} named by ${CONFIG_FILE} (model.decoder.filename) is not in ${folder}`);
    }
    const { InferenceSession } = await ort();
    let session: InferenceSession;
    try {
      ({ session } = await createWithProviders((options) => InferenceSession.create(path, options), sessionOptions(config, overrides), target));
    } catch (e) {
      const message = (e as Error).message ?? String(e);
      throw toNnError(e, /protobuf|parse|invalid model|ModelProto/i.test(message) ? 'invalid-encoding' : 'runtime-error', `onnxruntime could not load ${config.decoder.filename}`);
    }
    try {
      return new DecoderModel(session, config);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  /** The empty cache every sequence starts from (shared: ORT never writes into inputs). */
  async emptyCache(): Promise<Record<string, OrtTensor>> {
    const { Tensor } = await ort();
    const cache: Record<string, OrtTensor> = {};
    for (const slot of this.kv) {
      cache[slot.past] = this.kvType === 'float16' ? new Tensor('float16', new Uint16Array(0), slot.emptyDims) : new Tensor('float32', new Float32Array(0), slot.emptyDims);
    }
    return cache;
  }

  /** The present outputs of a run, renamed as the next run's past inputs (the tensors themselves, no copy). */
  nextCache(results: InferenceSession.ReturnType): Record<string, OrtTensor> {
    const cache: Record<string, OrtTensor> = {};
    for (const slot of this.kv) cache[slot.past] = results[slot.present] as OrtTensor;
    return cache;
  }

  /** A scalar or [1] int input (past/total sequence length), shaped as the model declares it. */
  lengthInput(name: string, value: number, T: typeof OrtTensor): OrtTensor | undefined {
    const info = this.inputs.get(name);
    if (!info) return undefined;
    const dims = info.shape.length === 0 ? [] : [1];
    return info.type === 'int64' ? new T('int64', BigInt64Array.of(BigInt(value)), dims) : new T('int32', Int32Array.of(value), dims);
  }

  async run(feeds: Record<string, OrtTensor>): Promise<InferenceSession.ReturnType> {
    const started = performance.now();
    try {
      return await this.session.run(feeds);
    } catch (e) {
      throw toNnError(e, 'runtime-error', 'onnxruntime');
    } finally {
      this.stats.runs++;
      this.stats.runMs += performance.now() - started;
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function intType(info: TensorInfo, name: string): IntType {
  if (info.type !== 'int32' && info.type !== 'int64') {
    throw new NnError('unsupported-operation', `the decoder input ${name} has type ${info.type}; int32 or int64 expected`);
  }
  return info.type;
}

/** A growable int buffer of the mask's or the ids' element type. */
export type IntArray = Int32Array | BigInt64Array;

export function intArray(type: IntType, length: number): IntArray {
  return type === 'int64' ? new BigInt64Array(length) : new Int32Array(length);
}

export function setInt(array: IntArray, index: number, value: number): void {
  if (array instanceof BigInt64Array) array[index] = BigInt(value);
  else array[index] = value;
}
