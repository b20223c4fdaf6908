/**
 * The decoder ONNX file of a GenAI folder as an onnxruntime-node session, and one sequence's state
 * on it (KV cache, attention mask, positions). The I/O layout comes from genai_config.json; the
 * element types (int32/int64 ids, fp32/fp16 KV and logits) come from the model itself.
 */
import { halfToFloat, NnError, toNnError, type ExecutionTarget } from '@wacs/core/backend';
import { createWithProviders, ort, type InferenceSession, type OrtTensor } from '@wacs/onnxruntime';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { argmaxF32, argmaxI16 } from './argmax.js';
import { CONFIG_FILE, type GenaiConfig } from './config.js';
import { initialStates, nextStates, planStates, type DecoderStates, type FloatType, type TensorInfo } from './state.js';

type IntType = 'int32' | 'int64';

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

/** Session options from genai_config.json; the providers follow the wasi:nn target (see @wacs/onnxruntime). */
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
  /** Element type of the KV cache (undefined when the decoder has none). */
  readonly kvType?: FloatType;
  private readonly inputs: Map<string, TensorInfo>;
  /** Everything carried from run to run: KV cache, convolution and recurrent states. */
  readonly states: DecoderStates;
  readonly maskType?: IntType;
  readonly positionType?: IntType;
  /** 3 for multi-axis rotary positions ([3, batch, sequence], e.g. qwen3_5), else 1. */
  readonly positionRows: number = 1;
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
    if (positions) {
      this.positionType = intType(positions, io.inputs.positionIds);
      const rows = positions.shape[0];
      if (positions.shape.length === 3) this.positionRows = typeof rows === 'number' && rows > 0 ? rows : 3;
    }
    output(io.outputs.logits, 'model.decoder.outputs.logits');

    this.states = planStates(config, { inputs: this.inputs, outputs });
    const kvTypes = new Set(this.states.slots.filter((slot) => slot.kind === 'kv').map((slot) => slot.type));
    if (kvTypes.size > 1) throw new NnError('unsupported-operation', `the KV cache inputs mix ${[...kvTypes].join(' and ')}; one element type is expected`);
    this.kvType = [...kvTypes][0];

    const fed = new Set([io.inputs.inputIds, io.inputs.attentionMask, io.inputs.positionIds, ...this.states.slots.map((s) => s.past), ...this.states.constants.map((c) => c.name)]);
    if (io.inputs.pastSequenceLength) fed.add(io.inputs.pastSequenceLength);
    if (io.inputs.totalSequenceLength) fed.add(io.inputs.totalSequenceLength);
    const unknown = session.inputNames.filter((name) => !fed.has(name));
    if (unknown.length) {
      throw new NnError(
        'unsupported-operation',
        `the decoder has input(s) ${unknown.join(', ')} that genai_config.json does not describe; the genai backend feeds input_ids, attention_mask, position_ids, sequence lengths, the KV cache, and convolution and recurrent states (past_conv_names, past_recurrent_names)`,
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

  /** The states every sequence starts from: empty KV cache, zeroed fixed-size states. */
  async emptyCache(): Promise<Record<string, OrtTensor>> {
    const { Tensor } = await ort();
    return initialStates(this.states, Tensor);
  }

  /** The present outputs of a run as the next run's past inputs (the tensors themselves, no copy). */
  nextCache(results: InferenceSession.ReturnType, previous: Record<string, OrtTensor>): Record<string, OrtTensor> {
    return nextStates(this.states, results as Record<string, OrtTensor>, previous);
  }

  /** position_ids for new tokens: [1, n], or the same row repeated for multi-axis positions. */
  positionTensor(positions: IntArray, count: number, T: typeof OrtTensor): OrtTensor {
    if (this.positionRows === 1) return new T(this.positionType!, positions as never, [1, count]);
    const rows = intArray(this.positionType!, this.positionRows * count);
    for (let r = 0; r < this.positionRows; r++) rows.set(positions as never, r * count);
    return new T(this.positionType!, rows as never, [this.positionRows, 1, count]);
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
