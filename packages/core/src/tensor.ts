import { NnError, type ErrorCode } from './errors.js';

/** The wasi:nn tensor element types, in WIT order (`wasi:nn/tensor.tensor-type`). */
export const TENSOR_TYPES = ['FP16', 'FP32', 'FP64', 'BF16', 'U8', 'I32', 'I64'] as const;
export type TensorType = (typeof TENSOR_TYPES)[number];

export const ELEMENT_SIZE: Record<TensorType, number> = {
  FP16: 2,
  FP32: 4,
  FP64: 8,
  BF16: 2,
  U8: 1,
  I32: 4,
  I64: 8,
};

/** A dense tensor: little-endian element bytes in row-major order. */
export interface Tensor {
  dimensions: number[];
  type: TensorType;
  data: Uint8Array;
}

/** Inputs and outputs of a compute are named; preview1 guests use the names "0", "1", … */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

export interface TensorLimits {
  /** Largest accepted tensor in bytes; larger ones fail with `too-large`. */
  maxBytes: number;
  /** Largest accepted rank. */
  maxRank: number;
}

export const DEFAULT_TENSOR_LIMITS: TensorLimits = { maxBytes: 2 ** 31 - 1, maxRank: 16 };

/** Number of elements: the product of the dimensions (1 for rank 0). It checks nothing; `validateTensor` does. */
export function elementCount(dimensions: readonly number[]): number {
  let count = 1;
  for (const d of dimensions) count *= d;
  return count;
}

/**
 * Checks a tensor before any backend sees it, so every backend gets the same guarantees:
 * a u32 dimension list within the rank limit, a byte length that matches the dimensions, and a size
 * under the cap.
 */
export function validateTensor(tensor: Tensor, name: string, limits: TensorLimits = DEFAULT_TENSOR_LIMITS): void {
  const { dimensions, type, data } = tensor;
  if (!(type in ELEMENT_SIZE)) {
    throw new NnError('invalid-argument', `tensor "${name}": unknown tensor type ${String(type)}`);
  }
  if (dimensions.length === 0) {
    throw new NnError('invalid-argument', `tensor "${name}": dimensions are empty; use [1] for a single value`);
  }
  if (dimensions.length > limits.maxRank) {
    throw new NnError('invalid-argument', `tensor "${name}": rank ${dimensions.length} is over the limit of ${limits.maxRank}`);
  }
  for (const d of dimensions) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new NnError('invalid-argument', `tensor "${name}": dimension ${d} is not a u32`);
    }
  }
  const expected = elementCount(dimensions) * ELEMENT_SIZE[type];
  if (expected > limits.maxBytes) {
    throw new NnError(
      'too-large',
      `tensor "${name}": [${dimensions.join(', ')}] ${type} needs ${expected} bytes, over the limit of ${limits.maxBytes}`,
    );
  }
  if (data.byteLength !== expected) {
    throw new NnError(
      'invalid-argument',
      `tensor "${name}": [${dimensions.join(', ')}] ${type} needs ${expected} bytes of data but got ${data.byteLength}`,
    );
  }
}

type TypedArray = Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array | Uint16Array;

/** A typed view over a tensor's bytes (copying only when the bytes are misaligned). */
export function tensorView(tensor: Tensor): TypedArray {
  const ctor = {
    FP16: Uint16Array,
    BF16: Uint16Array,
    FP32: Float32Array,
    FP64: Float64Array,
    U8: Uint8Array,
    I32: Int32Array,
    I64: BigInt64Array,
  }[tensor.type];
  const size = ELEMENT_SIZE[tensor.type];
  let { data } = tensor;
  if (data.byteOffset % size !== 0) data = data.slice();
  return new ctor(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength / size);
}

/** A tensor over the bytes of a typed array (no copy). */
export function tensorFrom(type: TensorType, dimensions: number[], values: ArrayBufferView): Tensor {
  return { type, dimensions, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Text travels as a U8 tensor of UTF-8 bytes (the GGML convention WasmEdge guests use). */
export function textTensor(text: string): Tensor {
  const data = encoder.encode(text);
  return { type: 'U8', dimensions: [data.byteLength], data };
}

export function tensorText(tensor: Tensor): string {
  return decoder.decode(tensor.data);
}

export function jsonTensor(value: unknown): Tensor {
  return textTensor(JSON.stringify(value));
}

/** Parses a U8 JSON tensor such as a `metadata` input (`what` names it in the error): text that does not parse is invalid-encoding, as in WasmEdge. */
export function tensorJson(tensor: Tensor, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(tensorText(tensor));
  } catch (e) {
    throw new NnError('invalid-encoding', `${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new NnError('invalid-argument', `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** FP16 <-> FP32, for backends whose engine lacks one of them. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >> 16) & 0x8000;
  const exp = (x >> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return half;
}

/** BF16 is the top half of an FP32: widening is exact; narrowing rounds to nearest even. */
export function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

export function floatToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return (x >> 16) | 0x40;
  return (x + 0x7fff + ((x >> 16) & 1)) >>> 16;
}
