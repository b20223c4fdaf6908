import type { ExecutionTarget, Graph, NamedTensor, Options, Tensor, TensorType } from '@wacs/core/backend';
import type { OnnxType } from '@wacs/fixtures';
import ort from 'onnxruntime-node';
import { onnxBackend } from '../src/index.js';

export async function loadBytes(model: Uint8Array, options: Options = {}, target: ExecutionTarget = 'cpu'): Promise<Graph> {
  return onnxBackend.load({ source: { kind: 'bytes', builders: [model] }, encoding: 'onnx', target, options });
}

export async function loadPath(path: string, options: Options = {}, target: ExecutionTarget = 'cpu'): Promise<Graph> {
  return onnxBackend.load({ source: { kind: 'path', path }, encoding: 'onnx', target, options });
}

export async function compute(graph: Graph, inputs: NamedTensor[]): Promise<NamedTensor[]> {
  return (await graph.createContext()).compute(inputs);
}

export function tensor(type: TensorType, dimensions: number[], values: ArrayBufferView): Tensor {
  return { type, dimensions, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function named(name: string, t: Tensor): NamedTensor {
  return { name, tensor: t };
}

const VIEWS = {
  FP32: Float32Array,
  FP64: Float64Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
  U8: Uint8Array,
  I32: Int32Array,
  I64: BigInt64Array,
} as const;

/** A tensor's elements as plain numbers/bigints. */
export function elementsOf(t: Tensor): Array<number | bigint> {
  const data = t.data.slice();
  return Array.from(new VIEWS[t.type](data.buffer, 0, data.byteLength / VIEWS[t.type].BYTES_PER_ELEMENT) as ArrayLike<number | bigint>);
}

/** Runs a model on onnxruntime-node directly: the oracle. */
export async function ortDirect(model: Uint8Array | string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

export { ort };

/** onnxruntime-node's name for each fixture type. */
export const ORT_NAMES: Partial<Record<OnnxType, string>> = {
  float: 'float32',
  double: 'float64',
  float16: 'float16',
  bfloat16: 'bfloat16',
  uint8: 'uint8',
  int8: 'int8',
  uint16: 'uint16',
  int16: 'int16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
  string: 'string',
};

