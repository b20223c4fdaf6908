/** Shared test helpers: load a folder through the backend, and run the tiny decoder directly on ORT. */
import { jsonTensor, tensorFrom, tensorView, textTensor, type NamedTensor } from '@wacs/core/backend';
import ort from 'onnxruntime-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { genaiBackend, type GenaiGraph } from '../src/index.js';

export async function tempDir(prefix = 'wacs-genai-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function loadFolder(path: string, options: Record<string, number | string | boolean> = {}): Promise<GenaiGraph> {
  return (await genaiBackend.load({ source: { kind: 'path', path }, encoding: 'onnx', target: 'cpu', options: { threads: 1, ...options } })) as GenaiGraph;
}

export function idsInput(ids: number[], type: 'I64' | 'I32' = 'I64'): NamedTensor {
  const data = type === 'I64' ? BigInt64Array.from(ids, BigInt) : Int32Array.from(ids);
  return { name: 'input_ids', tensor: tensorFrom(type, [1, ids.length], data) };
}

export function metadata(value: Record<string, unknown>): NamedTensor {
  return { name: 'metadata', tensor: jsonTensor(value) };
}

export function prompt(text: string): NamedTensor {
  return { name: 'prompt', tensor: textTensor(text) };
}

export function output(outputs: NamedTensor[], name: string): NamedTensor['tensor'] {
  const found = outputs.find((o) => o.name === name);
  if (!found) throw new Error(`no output ${name} in ${outputs.map((o) => o.name).join(', ')}`);
  return found.tensor;
}

export function ids(outputs: NamedTensor[]): number[] {
  return Array.from(tensorView(output(outputs, 'output_ids')) as BigInt64Array, Number);
}

/** Greedy generation from ids through the backend. */
export async function generateIds(graph: GenaiGraph, promptIds: number[], search: Record<string, unknown> = {}, context = graph.createContext()): Promise<number[]> {
  return ids(await context.compute([idsInput(promptIds), metadata({ generate: true, ...search })]));
}

export interface TinyLayout {
  combinedKv?: boolean;
  idType?: 'int32' | 'int64';
  floatType?: 'float' | 'float16';
  numKeyValueHeads?: number;
  headSize?: number;
  numLayers?: number;
}

/**
 * The oracle for the KV cache: runs the tiny decoder on onnxruntime directly over the whole
 * sequence with an empty cache, every step, and returns the logits of its last position.
 */
export class UncachedDecoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly layout: Required<TinyLayout>,
  ) {}

  static async open(modelPath: string, layout: TinyLayout): Promise<UncachedDecoder> {
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
    return new UncachedDecoder(session, {
      combinedKv: false,
      idType: 'int64',
      floatType: 'float',
      numKeyValueHeads: 1,
      headSize: 8,
      numLayers: 2,
      ...layout,
    });
  }

  async lastLogits(sequence: number[]): Promise<Float32Array> {
    const l = this.layout;
    const ints = (values: number[]) =>
      l.idType === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]) : new ort.Tensor('int32', Int32Array.from(values), [1, values.length]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: ints(sequence),
      attention_mask: ints(sequence.map(() => 1)),
      position_ids: ints(sequence.map((_, i) => i)),
    };
    const empty = () =>
      l.floatType === 'float16'
        ? new ort.Tensor('float16', new Uint16Array(0), l.combinedKv ? [2, 1, l.numKeyValueHeads, 0, l.headSize] : [1, l.numKeyValueHeads, 0, l.headSize])
        : new ort.Tensor('float32', new Float32Array(0), l.combinedKv ? [2, 1, l.numKeyValueHeads, 0, l.headSize] : [1, l.numKeyValueHeads, 0, l.headSize]);
    for (let layer = 0; layer < l.numLayers; layer++) {
      if (l.combinedKv) feeds[`past_${layer}`] = empty();
      else {
        feeds[`past_key_values.${layer}.key`] = empty();
        feeds[`past_key_values.${layer}.value`] = empty();
      }
    }
    const logits = (await this.session.run(feeds)).logits!;
    const vocab = logits.dims[2]!;
    const data = logits.data as Float32Array | Uint16Array;
    const row = data.subarray(data.length - vocab);
    if (logits.type === 'float32') return Float32Array.from(row);
    return Float32Array.from(row as Uint16Array, halfBitsToFloat);
  }

  /** Greedy decoding that recomputes the whole sequence at every step (no cache). */
  async greedy(promptIds: number[], steps: number): Promise<number[]> {
    const sequence = [...promptIds];
    const out: number[] = [];
    for (let i = 0; i < steps; i++) {
      const logits = await this.lastLogits(sequence);
      let best = 0;
      for (let t = 1; t < logits.length; t++) if (logits[t]! > logits[best]!) best = t;
      out.push(best);
      sequence.push(best);
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** IEEE half → number, written out here so the oracle does not share code with the backend. */
function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
