/**
 * wasi:nn tensors <-> onnxruntime tensors. Shared with backend-classic (which runs ONNX-ML models
 * on the same engine), so it is exported from this package.
 */
import { NnError, tensorView, type Tensor, type TensorType } from '@wacs/core';
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import { ort } from './engine.js';

/** ORT element type for each wasi:nn type (BF16 has no ORT JS type: see `toOrtTensor`). */
const ORT_TYPE: Partial<Record<TensorType, OrtTensor.Type>> = {
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  U8: 'uint8',
  I32: 'int32',
  I64: 'int64',
};

const WASI_TYPE: Partial<Record<OrtTensor.Type, TensorType>> = {
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  uint8: 'U8',
  int32: 'I32',
  int64: 'I64',
};

/** Makes an ORT tensor over the wasi:nn tensor's bytes (no copy on this side). */
export async function toOrtTensor(name: string, tensor: Tensor): Promise<OrtTensor> {
  const type = ORT_TYPE[tensor.type];
  if (!type) throw new NnError('invalid-argument', `input "${name}": tensor type ${tensor.type} is not supported by this backend`);
  const { Tensor: T } = await ort();
  return new T(type, tensorView(tensor) as never, tensor.dimensions);
}

export function fromOrtTensor(name: string, value: OrtTensor): { name: string; tensor: Tensor } {
  const type = WASI_TYPE[value.type];
  if (!type) throw new NnError('unsupported-operation', `output "${name}" has ONNX type ${value.type}, which wasi:nn cannot carry`);
  const data = value.data as ArrayBufferView;
  return {
    name,
    tensor: { type, dimensions: [...value.dims], data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) },
  };
}
