// ONNX files for guests: TensorProto (.pb tensor files, as in ONNX test data) to wasi:nn tensors,
// and a model's graph inputs and outputs, read straight from the protobuf.
//
// ONNX types wasi:nn lacks travel as the wasi:nn type @wacs/backend-onnx documents: bool as U8,
// int8/int16/uint16 as I32, uint32/uint64 as I64, string as U8 UTF-8 JSON (nested arrays). A
// rank-0 tensor becomes dimensions [1].
import type { TensorType } from './nn.js';
// The same conversions the host uses: plain functions, bundled into the guest by esbuild.
import { bf16ToFloat, halfToFloat } from '../../packages/core/src/tensor.js';

/** ONNX TensorProto.DataType numbers → names. */
export const ONNX_TYPE_NAMES: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
};

/** The wasi:nn type each carried ONNX type travels as (by TensorProto.DataType number). */
export const WASI_TYPE_OF: Record<number, TensorType> = {
  1: 'FP32', 2: 'U8', 3: 'I32', 4: 'I32', 5: 'I32', 6: 'I32', 7: 'I64', 8: 'U8', 9: 'U8', 10: 'FP16', 11: 'FP64', 12: 'I64', 13: 'I64', 16: 'BF16',
};

/** A type wasi:nn cannot carry, or a file that is not a tensor. */
export class NotCarried extends Error {}

interface Field {
  number: number;
  varint?: bigint;
  bytes?: Uint8Array;
  fixed?: Uint8Array;
}

function varint(data: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= data.length) throw new Error('truncated protobuf varint');
    const byte = data[pos++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [result, pos];
    shift += 7n;
  }
}

export function fields(data: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < data.length) {
    const [tag, next] = varint(data, pos);
    pos = next;
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [value, after] = varint(data, pos);
      pos = after;
      out.push({ number, varint: value });
    } else if (wire === 2) {
      const [length, after] = varint(data, pos);
      pos = after + Number(length);
      if (pos > data.length) throw new Error('truncated protobuf field');
      out.push({ number, bytes: data.subarray(after, pos) });
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      out.push({ number, fixed: data.subarray(pos, pos + size) });
      pos += size;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
  return out;
}

/** Values of a repeated varint field (packed or not) over all its occurrences. */
function varints(all: Field[], number: number): bigint[] {
  const out: bigint[] = [];
  for (const f of all) {
    if (f.number !== number) continue;
    if (f.varint !== undefined) out.push(f.varint);
    else if (f.bytes) for (let pos = 0; pos < f.bytes.length; ) {
      const [value, next] = varint(f.bytes, pos);
      out.push(value);
      pos = next;
    }
  }
  return out;
}

/** Bytes of a repeated fixed-width field (packed or not) over all its occurrences. */
function fixedBytes(all: Field[], number: number): Uint8Array {
  const parts = all.filter((f) => f.number === number).map((f) => f.bytes ?? f.fixed!);
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

export interface DecodedTensor {
  name: string;
  /** ONNX TensorProto.DataType number and name. */
  onnxType: number;
  onnxTypeName: string;
  /** The ONNX shape ([] for a scalar). */
  shape: number[];
  /** As a wasi:nn tensor: type, dimensions, little-endian bytes. */
  type: TensorType;
  dimensions: number[];
  data: Uint8Array;
}

/** Size in bytes of the raw_data elements of each carried type. */
const RAW_SIZE: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** Elements (as bigint-safe numbers) of a TensorProto, from raw_data or the typed fields. */
function integerElements(all: Field[], onnxType: number, count: number): Array<number | bigint> {
  const raw = all.find((f) => f.number === 9)?.bytes;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size = RAW_SIZE[onnxType]!;
    if (raw.length !== count * size) throw new Error(`raw_data holds ${raw.length} bytes, not ${count} × ${size}`);
    return Array.from({ length: count }, (_, i) => {
      const at = i * size;
      switch (onnxType) {
        case 3: return view.getInt8(at);
        case 4: return view.getUint16(at, true);
        case 5: return view.getInt16(at, true);
        case 12: return view.getUint32(at, true);
        case 13: return view.getBigUint64(at, true);
        default: return view.getUint8(at);
      }
    });
  }
  // int32_data (5) for the small types; uint64_data (11) for uint32/uint64.
  if (onnxType === 12 || onnxType === 13) return varints(all, 11);
  return varints(all, 5).map((v) => Number(BigInt.asIntN(32, v)));
}

/**
 * Decodes a TensorProto into the wasi:nn tensor that carries it. Throws NotCarried for types
 * wasi:nn cannot carry and for external data.
 */
export function decodeTensor(bytes: Uint8Array): DecodedTensor {
  const all = fields(bytes);
  const onnxType = Number(all.find((f) => f.number === 2)?.varint ?? 0n);
  const onnxTypeName = ONNX_TYPE_NAMES[onnxType] ?? `type ${onnxType}`;
  const name = text(all.find((f) => f.number === 8)?.bytes);
  const shape = varints(all, 1).map(Number);
  const type = WASI_TYPE_OF[onnxType];
  if (!type) throw new NotCarried(`ONNX ${onnxTypeName} tensors have no wasi:nn type`);
  if (all.some((f) => f.number === 14 && f.varint === 1n)) throw new NotCarried('the tensor keeps its data in an external file');
  const count = shape.reduce((a, b) => a * b, 1);
  const dimensions = shape.length ? shape : [1];
  const raw = all.find((f) => f.number === 9)?.bytes;
  let data: Uint8Array;
  switch (onnxType) {
    case 8: {
      const strings = all.filter((f) => f.number === 6).map((f) => text(f.bytes));
      let offset = 0;
      const nest = (depth: number): unknown => (depth === shape.length ? strings[offset++] : Array.from({ length: shape[depth]! }, () => nest(depth + 1)));
      data = new TextEncoder().encode(JSON.stringify(nest(0)));
      return { name, onnxType, onnxTypeName, shape, type, dimensions: [data.length], data };
    }
    case 1: // float: raw_data or float_data (4)
    case 11: // double: raw_data or double_data (10)
      data = raw ? raw.slice() : fixedBytes(all, onnxType === 1 ? 4 : 10).slice();
      break;
    case 7: // int64: raw_data or int64_data (7)
      data = raw ? raw.slice() : new Uint8Array(BigInt64Array.from(varints(all, 7), (v) => BigInt.asIntN(64, v)).buffer);
      break;
    case 6: // int32
      data = raw ? raw.slice() : new Uint8Array(Int32Array.from(varints(all, 5), (v) => Number(BigInt.asIntN(32, v))).buffer);
      break;
    case 10: // float16 and bfloat16: raw_data, or bit patterns in int32_data
    case 16:
      data = raw ? raw.slice() : new Uint8Array(Uint16Array.from(varints(all, 5), Number).buffer);
      break;
    default: {
      const values = integerElements(all, onnxType, count);
      if (type === 'U8') data = Uint8Array.from(values as number[]);
      else if (type === 'I32') data = new Uint8Array(Int32Array.from(values as number[]).buffer);
      else data = new Uint8Array(BigInt64Array.from(values, (v) => BigInt.asIntN(64, BigInt(v))).buffer);
    }
  }
  return { name, onnxType, onnxTypeName, shape, type, dimensions, data };
}

export interface GraphValue {
  name: string;
  /** tensor, sequence, map, optional, sparse_tensor or unknown. */
  kind: string;
  /** Element type number, for tensors. */
  elemType?: number;
}

/** TypeProto oneof field numbers → the kind of value. */
const VALUE_KINDS: Record<number, string> = { 1: 'tensor', 4: 'sequence', 5: 'map', 8: 'sparse_tensor', 9: 'optional' };

function graphValue(bytes: Uint8Array): GraphValue {
  const all = fields(bytes);
  const name = text(all.find((f) => f.number === 1)?.bytes);
  const type = all.find((f) => f.number === 2)?.bytes;
  const typeField = type ? fields(type).find((f) => VALUE_KINDS[f.number]) : undefined;
  const kind = typeField ? VALUE_KINDS[typeField.number]! : 'unknown';
  const elemType = kind === 'tensor' ? Number(fields(typeField!.bytes!).find((f) => f.number === 1)?.varint ?? 0n) : undefined;
  return { name, kind, elemType };
}

/** A model's graph inputs (without initializers, which old models also list) and outputs. */
export function modelGraphIo(model: Uint8Array): { inputs: GraphValue[]; outputs: GraphValue[] } {
  const graph = fields(model).find((f) => f.number === 7)?.bytes;
  if (!graph) throw new Error('the model has no graph');
  const all = fields(graph);
  const initializers = new Set(all.filter((f) => f.number === 5).map((f) => text(fields(f.bytes!).find((g) => g.number === 8)?.bytes)));
  return {
    inputs: all.filter((f) => f.number === 11).map((f) => graphValue(f.bytes!)).filter((v) => !initializers.has(v.name)),
    outputs: all.filter((f) => f.number === 12).map((f) => graphValue(f.bytes!)),
  };
}


/** Elements of wasi:nn tensor bytes, as numbers (FP16/BF16 decoded) or bigints (I64). */
export function elements(type: TensorType, bytes: Uint8Array): ArrayLike<number | bigint> {
  const data = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset, byteLength } = data;
  switch (type) {
    case 'FP32': return new Float32Array(buffer, byteOffset, byteLength / 4);
    case 'FP64': return new Float64Array(buffer, byteOffset, byteLength / 8);
    case 'FP16': return Array.from(new Uint16Array(buffer, byteOffset, byteLength / 2), halfToFloat);
    case 'BF16': return Array.from(new Uint16Array(buffer, byteOffset, byteLength / 2), bf16ToFloat);
    case 'U8': return new Uint8Array(buffer, byteOffset, byteLength);
    case 'I32': return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 'I64': return new BigInt64Array(buffer, byteOffset, byteLength / 8);
  }
}
