/**
 * wasi:nn tensors <-> onnxruntime tensors, for every ONNX element type (the table is in README.md).
 *
 * Seven ONNX types are wasi:nn types. The rest travel as the nearest wasi:nn type that holds
 * every value: bool as U8 (0/1), int8/int16/uint16 as I32, uint32/uint64 as I64, and string as a
 * U8 tensor of UTF-8 JSON (nested arrays whose nesting is the shape). bfloat16 model inputs and
 * outputs are BF16: onnxruntime-node has no bfloat16 tensor, so the model gets float32 proxies
 * with Cast nodes (see bf16.ts) and the values are widened/narrowed here, exactly.
 */
import { NnError, tensorView, type NamedTensor, type Tensor, type TensorType } from '@wacs/core/backend';
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import type { OrtModule } from './engine.js';

/**
 * The engine whose Tensor class makes the tensors: onnxruntime-node, or onnxruntime-web in a page
 * (same API). This file imports no engine: it is `@wacs/onnxruntime/tensors`, browser-safe.
 */
type Ort = Pick<OrtModule, 'Tensor'>;

/** ONNX element types as onnxruntime-node names them, plus `bfloat16` for proxied inputs/outputs. */
export type OnnxElementType = OrtTensor.Type | 'bfloat16';

/** The wasi:nn type each ONNX element type travels as. */
export const WASI_TYPE_FOR: Partial<Record<OnnxElementType, TensorType>> = {
  float32: 'FP32',
  float16: 'FP16',
  float64: 'FP64',
  bfloat16: 'BF16',
  uint8: 'U8',
  int32: 'I32',
  int64: 'I64',
  bool: 'U8',
  int8: 'I32',
  int16: 'I32',
  uint16: 'I32',
  uint32: 'I64',
  uint64: 'I64',
  string: 'U8',
};

/** The ONNX type a guest tensor becomes when the model does not say (the seven direct ones). */
const DIRECT_ONNX_TYPE: Record<TensorType, OnnxElementType> = {
  FP32: 'float32',
  FP16: 'float16',
  FP64: 'float64',
  BF16: 'bfloat16',
  U8: 'uint8',
  I32: 'int32',
  I64: 'int64',
};

/** Value ranges of the integer types carried in a wider wasi:nn type. */
const RANGES: Partial<Record<OnnxElementType, [number | bigint, number | bigint]>> = {
  bool: [0, 1],
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  uint32: [0n, 4294967295n],
  uint64: [0n, 2n ** 63n - 1n],
};

const ARRAY_FOR: Partial<Record<OnnxElementType, { from(values: ArrayLike<number>): ArrayBufferView }>> = {
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
};

/** What to send for an input of this ONNX type, for error messages. */
export function howToSend(type: OnnxElementType): string {
  const wasi = WASI_TYPE_FOR[type];
  if (!wasi) return `nothing: wasi:nn cannot carry ONNX ${type} tensors`;
  if (type === 'string') return 'U8 holding UTF-8 JSON: nested arrays of strings shaped like the tensor, e.g. [["a","b"]] for shape [1,2]';
  const range = RANGES[type];
  return range ? `${wasi} with values ${range[0]}..${range[1]}` : wasi;
}

function rangeError(name: string, type: OnnxElementType, value: number | bigint): NnError {
  return new NnError('invalid-argument', `input "${name}": the model takes ONNX ${type}, and ${value} is out of its range; send ${howToSend(type)}`);
}

/** Nested JSON arrays of strings → flat strings and the shape. */
function stringsFromJson(name: string, tensor: Tensor): { values: string[]; dims: number[] } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(tensor.data));
  } catch (e) {
    throw new NnError('invalid-argument', `input "${name}": the model takes ONNX string; the U8 tensor is not JSON (${(e as Error).message}); send ${howToSend('string')}`);
  }
  const dims: number[] = [];
  for (let probe = value; Array.isArray(probe); probe = probe[0]) dims.push(probe.length);
  const values: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === dims.length) {
      if (typeof v !== 'string') throw new NnError('invalid-argument', `input "${name}": ${JSON.stringify(v)} is not a string; send ${howToSend('string')}`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) {
      throw new NnError('invalid-argument', `input "${name}": the nested arrays are not rectangular (shape ${JSON.stringify(dims)}); send ${howToSend('string')}`);
    }
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
  return { values, dims };
}

/** Flat strings and a shape → nested JSON arrays. */
function stringsToJson(values: readonly string[], dims: readonly number[]): string {
  let offset = 0;
  const build = (depth: number): unknown => {
    if (depth === dims.length) return values[offset++];
    return Array.from({ length: dims[depth]! }, () => build(depth + 1));
  };
  return JSON.stringify(build(0));
}

/**
 * Makes an ORT tensor of ONNX type `expected` (default: the wasi:nn type's own) from a guest
 * tensor, with the conversions of the table above; no copy for the seven direct types.
 * `dims` overrides the guest's dimensions (a rank-0 input arrives as [1]).
 */
export function toOrtTensorWith(engine: Ort, name: string, tensor: Tensor, expected?: OnnxElementType, dims: readonly number[] = tensor.dimensions): OrtTensor {
  const type = expected ?? DIRECT_ONNX_TYPE[tensor.type];
  const wanted = WASI_TYPE_FOR[type];
  if (!wanted) {
    throw new NnError('invalid-argument', `input "${name}": the model takes ONNX ${type}, which wasi:nn cannot carry (no wasi:nn type holds it losslessly)`);
  }
  if (tensor.type !== wanted) {
    throw new NnError('invalid-argument', `input "${name}": the model takes ONNX ${type}; got ${tensor.type}; send ${howToSend(type)}`);
  }
  const { Tensor: T } = engine;
  const shape = [...dims];
  switch (type) {
    case 'bfloat16': {
      // bf16 is the top half of a float32: widening is a shift, exactly.
      const bits = tensorView(tensor) as Uint16Array;
      const wide = new Uint32Array(bits.length);
      for (let i = 0; i < bits.length; i++) wide[i] = bits[i]! << 16;
      return new T('float32', new Float32Array(wide.buffer), shape);
    }
    case 'string': {
      // The JSON's nesting is the shape; the U8 tensor's dimensions only count its bytes.
      const { values, dims: jsonDims } = stringsFromJson(name, tensor);
      return new T('string', values, jsonDims);
    }
    case 'bool':
    case 'int8':
    case 'int16':
    case 'uint16': {
      const [lo, hi] = RANGES[type] as [number, number];
      const source = tensorView(tensor) as Uint8Array | Int32Array;
      for (const v of source) if (v < lo || v > hi) throw rangeError(name, type, v);
      return new T(type, (type === 'bool' ? source : ARRAY_FOR[type]!.from(source)) as never, shape);
    }
    case 'uint32':
    case 'uint64': {
      const [lo, hi] = RANGES[type] as [bigint, bigint];
      const source = tensorView(tensor) as BigInt64Array;
      for (const v of source) if (v < lo || v > hi) throw rangeError(name, type, v);
      if (type === 'uint64') return new T('uint64', new BigUint64Array(source.buffer, source.byteOffset, source.length), shape);
      return new T('uint32', Uint32Array.from(source, Number), shape);
    }
    default:
      return new T(type, tensorView(tensor) as never, shape);
  }
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Makes a wasi:nn tensor from an ORT output. `bf16` marks a float32 proxy of a bfloat16 output,
 * narrowed back exactly (its values came from bfloat16). Rank-0 outputs get dimensions [1], the
 * form wasi:nn inputs take for a single value.
 */
export function fromOrtTensor(name: string, value: OrtTensor, bf16 = false): NamedTensor {
  const dimensions = value.dims.length ? [...value.dims] : [1];
  const data = value.data;
  const out = (type: TensorType, view: ArrayBufferView): NamedTensor => ({ name, tensor: { type, dimensions, data: bytesOf(view) } });
  switch (value.type) {
    case 'float32':
      if (bf16) {
        const bits = new Uint32Array((data as Float32Array).buffer, (data as Float32Array).byteOffset, (data as Float32Array).length);
        const narrow = new Uint16Array(bits.length);
        for (let i = 0; i < bits.length; i++) narrow[i] = bits[i]! >>> 16;
        return out('BF16', narrow);
      }
      return out('FP32', data as Float32Array);
    case 'float16':
      return out('FP16', data as Uint16Array);
    case 'float64':
      return out('FP64', data as Float64Array);
    case 'uint8':
    case 'bool':
      return out('U8', data as Uint8Array);
    case 'int32':
      return out('I32', data as Int32Array);
    case 'int64':
      return out('I64', data as BigInt64Array);
    case 'int8':
    case 'int16':
    case 'uint16':
      return out('I32', Int32Array.from(data as Int8Array));
    case 'uint32':
      return out('I64', BigInt64Array.from(data as Uint32Array, (v) => BigInt(v)));
    case 'uint64': {
      const values = data as BigUint64Array;
      for (const v of values) {
        if (v > 2n ** 63n - 1n) {
          throw new NnError('unsupported-operation', `output "${name}" is ONNX uint64 and holds ${v}, which does not fit the I64 it travels as`);
        }
      }
      return out('I64', new BigInt64Array(values.buffer, values.byteOffset, values.length));
    }
    case 'string': {
      const json = new TextEncoder().encode(stringsToJson(data as string[], value.dims));
      return { name, tensor: { type: 'U8', dimensions: [json.length], data: json } };
    }
    default:
      throw new NnError('unsupported-operation', `output "${name}" has ONNX type ${value.type}, which wasi:nn cannot carry`);
  }
}
