/**
 * wasi:nn tensors <-> onnxruntime-web tensors. The seven wasi:nn types map straight onto ONNX
 * types (BF16 aside: onnxruntime-web has no bfloat16 tensor); ONNX outputs of other integer types
 * travel in the nearest wasi:nn type that holds every value, as backend-onnx does under Node.
 */
import { NnError, type NamedTensor, type TensorType } from '@wacs/core/backend';
import type { Tensor as OrtTensor } from 'onnxruntime-web';

type ArrayOf = { new (buffer: ArrayBuffer, offset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number };

const INPUT_TYPES: Partial<Record<TensorType, [OrtTensor.Type, ArrayOf]>> = {
  FP32: ['float32', Float32Array],
  FP16: ['float16', Uint16Array],
  FP64: ['float64', Float64Array],
  U8: ['uint8', Uint8Array],
  I32: ['int32', Int32Array],
  I64: ['int64', BigInt64Array],
};

/** ONNX output types → the wasi:nn type they travel as, and how to widen them to it. */
const OUTPUT_TYPES: Partial<Record<OrtTensor.Type, [TensorType, ((data: ArrayLike<number>) => ArrayBufferView)?]>> = {
  float32: ['FP32'],
  float16: ['FP16'],
  float64: ['FP64'],
  uint8: ['U8'],
  bool: ['U8'],
  int32: ['I32'],
  int64: ['I64'],
  int8: ['I32', (d) => Int32Array.from(d)],
  int16: ['I32', (d) => Int32Array.from(d)],
  uint16: ['I32', (d) => Int32Array.from(d)],
  uint32: ['I64', (d) => BigInt64Array.from(Array.from(d, (v) => BigInt(v)))],
  uint64: ['I64', (d) => new BigInt64Array((d as unknown as BigUint64Array).buffer.slice(0))],
};

/** The ONNX type a wasi:nn tensor type becomes, if onnxruntime-web has it. */
export function ortTypeOf(type: TensorType): OrtTensor.Type | undefined {
  return INPUT_TYPES[type]?.[0];
}

export function toOrtTensor(ort: typeof import('onnxruntime-web'), { name, tensor }: NamedTensor): OrtTensor {
  const mapped = INPUT_TYPES[tensor.type];
  if (!mapped) throw new NnError('invalid-argument', `input "${name}": onnxruntime-web has no ${tensor.type} tensors; send FP32, FP16, FP64, U8, I32 or I64`);
  const [type, ArrayType] = mapped;
  // Typed arrays need aligned offsets: copy when the bytes do not start on an element boundary.
  const bytes = tensor.data.byteOffset % ArrayType.BYTES_PER_ELEMENT === 0 ? tensor.data : tensor.data.slice();
  const data = new ArrayType(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / ArrayType.BYTES_PER_ELEMENT);
  return new ort.Tensor(type, data as OrtTensor.DataTypeMap[typeof type], tensor.dimensions);
}

export function fromOrtTensor(name: string, tensor: OrtTensor): NamedTensor {
  const mapped = OUTPUT_TYPES[tensor.type];
  if (!mapped) throw new NnError('unsupported-operation', `output "${name}": wasi:nn cannot carry ONNX ${tensor.type} tensors`);
  const [type, widen] = mapped;
  const view = (widen ? widen(tensor.data as ArrayLike<number>) : tensor.data) as ArrayBufferView;
  return { name, tensor: { dimensions: [...tensor.dims], type, data: new Uint8Array(view.buffer, view.byteOffset, view.byteLength) } };
}
