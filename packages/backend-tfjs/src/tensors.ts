/**
 * wasi:nn tensors <-> tfjs tensors. tfjs computes in float32, int32 and bool: FP32 and I32 pass
 * through as they are; every other wasi:nn type is converted to the dtype the model declares for
 * the input, element by element, and refused (invalid-argument) as soon as one value would change.
 */
import { bf16ToFloat, halfToFloat, NnError, tensorView, type NamedTensor, type Tensor, type TensorType } from '@wacs/core/backend';
import type * as Tf from '@tensorflow/tfjs';
import type { TfModule } from './engine-select.js';

export type TfDtype = 'float32' | 'int32' | 'bool';

const NATIVE: Partial<Record<TensorType, TfDtype>> = { FP32: 'float32', I32: 'int32' };

/** The dtype to feed when the model does not declare one: the nearest tfjs dtype for the guest's type. */
function defaultDtype(type: TensorType): TfDtype {
  return NATIVE[type] ?? (type === 'U8' || type === 'I64' ? 'int32' : 'float32');
}

/** The guest's values as plain numbers or bigints (FP16/BF16 widened exactly to float). */
function sourceValues(tensor: Tensor): ArrayLike<number> | BigInt64Array {
  const view = tensorView(tensor);
  if (tensor.type === 'FP16') return Array.from(view as Uint16Array, halfToFloat);
  if (tensor.type === 'BF16') return Array.from(view as Uint16Array, bf16ToFloat);
  return view as ArrayLike<number> | BigInt64Array;
}

const TARGET_ARRAY = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Converts element by element, refusing the first value the target dtype cannot hold exactly. */
function convertExactly(name: string, tensor: Tensor, dtype: TfDtype): Float32Array | Int32Array | Uint8Array {
  const source = sourceValues(tensor);
  const out = new TARGET_ARRAY[dtype](source.length);
  for (let i = 0; i < source.length; i++) {
    const raw = source[i]!;
    const value = Number(raw);
    out[i] = value;
    const exact = typeof raw === 'bigint' ? BigInt(out[i]!) === raw : sameValue(out[i]!, value);
    if (!exact || (dtype === 'bool' && value !== 0 && value !== 1)) {
      throw new NnError(
        'invalid-argument',
        `input "${name}": ${tensor.type} value ${String(raw)} (element ${i}) cannot be converted to the model's ${dtype} without loss; ` +
          `pass ${dtype === 'int32' ? 'I32' : dtype === 'bool' ? 'U8 zeros and ones' : 'FP32'}`,
      );
    }
  }
  return out;
}

/**
 * A tfjs tensor for a guest input. `dtype` is what the model declares for the input (undefined
 * when it does not say).
 */
export function toTfTensor(tf: TfModule, name: string, tensor: Tensor, dtype: string | undefined): Tf.Tensor {
  const target = dtype ?? defaultDtype(tensor.type);
  if (target !== 'float32' && target !== 'int32' && target !== 'bool') {
    throw new NnError('invalid-argument', `input "${name}": the model takes ${target} values, which a wasi:nn tensor cannot carry`);
  }
  const values = NATIVE[tensor.type] === target ? (tensorView(tensor) as Float32Array | Int32Array) : convertExactly(name, tensor, target);
  return tf.tensor(values, tensor.dimensions, target);
}

const OUTPUT_TYPE: Record<string, TensorType> = { float32: 'FP32', int32: 'I32', bool: 'U8' };

type OutputData = Float32Array | Int32Array | Uint8Array;

function outputType(name: string, value: Tf.Tensor): TensorType {
  const type = OUTPUT_TYPE[value.dtype];
  if (!type) throw new NnError('unsupported-operation', `output "${name}" has tfjs dtype ${value.dtype}, which wasi:nn cannot carry`);
  return type;
}

function outputTensor(name: string, type: TensorType, value: Tf.Tensor, data: OutputData): NamedTensor {
  // wasi:nn has no rank-0 tensors: a scalar comes back as [1].
  const dimensions = value.shape.length ? [...value.shape] : [1];
  return { name, tensor: { type, dimensions, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) } };
}

/** Reads a tfjs output into a wasi:nn tensor (the caller disposes the tfjs tensor). */
export async function fromTfTensor(name: string, value: Tf.Tensor): Promise<NamedTensor> {
  const type = outputType(name, value);
  return outputTensor(name, type, value, (await value.data()) as OutputData);
}

/** `fromTfTensor`, synchronously (an in-thread twin's compute). */
export function fromTfTensorSync(name: string, value: Tf.Tensor): NamedTensor {
  const type = outputType(name, value);
  return outputTensor(name, type, value, value.dataSync() as OutputData);
}
