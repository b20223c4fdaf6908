/**
 * wasi:nn tensors <-> Open Inference Protocol (KServe v2) tensors. The seven wasi:nn types are OIP
 * datatypes (BF16 is Triton's extension). Other OIP types travel as the nearest wasi:nn type that
 * holds every value, as backend-onnx does for ONNX: BOOL as U8, INT8/INT16/UINT16 as I32,
 * UINT32/UINT64 as I64; a guest sends those types, and values are checked against the server's
 * datatype. Data goes as JSON numbers (row-major, flat) or, in the binary tensor extension, as
 * little-endian bytes after the JSON header.
 */
import { NnError, bf16ToFloat, elementCount, floatToBf16, floatToHalf, halfToFloat, tensorView, type Tensor, type TensorType } from '@wacs/core/backend';

export type OipDatatype = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64' | 'BF16' | 'BYTES';

/** The wasi:nn type each OIP datatype travels as (BYTES has none). */
export const WASI_TYPE_FOR: Record<Exclude<OipDatatype, 'BYTES'>, TensorType> = {
  BOOL: 'U8',
  UINT8: 'U8',
  UINT16: 'I32',
  UINT32: 'I64',
  UINT64: 'I64',
  INT8: 'I32',
  INT16: 'I32',
  INT32: 'I32',
  INT64: 'I64',
  FP16: 'FP16',
  FP32: 'FP32',
  FP64: 'FP64',
  BF16: 'BF16',
};

/** The OIP datatype of a wasi:nn type, when the server does not say. */
export const OIP_TYPE_FOR: Record<TensorType, OipDatatype> = { FP16: 'FP16', FP32: 'FP32', FP64: 'FP64', BF16: 'BF16', U8: 'UINT8', I32: 'INT32', I64: 'INT64' };

const BYTES_PER: Record<Exclude<OipDatatype, 'BYTES'>, number> = {
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, BF16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8,
};

const RANGES: Partial<Record<OipDatatype, [bigint, bigint]>> = {
  BOOL: [0n, 1n],
  INT8: [-128n, 127n],
  INT16: [-32768n, 32767n],
  UINT16: [0n, 65535n],
  UINT32: [0n, 4294967295n],
  UINT64: [0n, 2n ** 63n - 1n],
};

export function isOipDatatype(value: unknown): value is OipDatatype {
  return typeof value === 'string' && (value === 'BYTES' || value in BYTES_PER);
}

function numericType(datatype: OipDatatype, what: string): Exclude<OipDatatype, 'BYTES'> {
  if (datatype === 'BYTES') throw new NnError('unsupported-operation', `${what} is OIP BYTES (strings), which wasi:nn tensors cannot carry`);
  return datatype;
}

/** The values of a wasi:nn tensor as numbers (64-bit integers as bigint), converted for an OIP datatype. */
export function tensorValues(tensor: Tensor, datatype: OipDatatype, name: string): Array<number | bigint> {
  const type = numericType(datatype, `input "${name}"`);
  const expected = WASI_TYPE_FOR[type];
  if (tensor.type !== expected) {
    throw new NnError('invalid-argument', `input "${name}": the server takes OIP ${type}; send ${expected}${RANGES[type] ? ` with values ${RANGES[type]![0]}..${RANGES[type]![1]}` : ''}, not ${tensor.type}`);
  }
  let values: Array<number | bigint>;
  if (tensor.type === 'FP16') values = Array.from(tensorView(tensor) as Uint16Array, halfToFloat);
  else if (tensor.type === 'BF16') values = Array.from(tensorView(tensor) as Uint16Array, bf16ToFloat);
  else values = Array.from(tensorView(tensor) as ArrayLike<number | bigint>);
  const range = RANGES[type];
  if (range) {
    for (const v of values) {
      const big = BigInt(v);
      if (big < range[0] || big > range[1]) throw new NnError('invalid-argument', `input "${name}": ${v} is out of the range of OIP ${type} (${range[0]}..${range[1]})`);
    }
  }
  return values;
}

/** JSON-safe values: 64-bit integers as numbers (JSON has no other integers; beyond 2^53 they lose precision). */
export function jsonValues(values: Array<number | bigint>, type: Tensor['type']): number[] {
  return type === 'I64' ? values.map(Number) : (values as number[]);
}

/** Little-endian bytes of values in an OIP datatype (the binary tensor extension). */
export function encodeBinary(values: Array<number | bigint>, datatype: OipDatatype, name: string): Uint8Array {
  const type = numericType(datatype, `input "${name}"`);
  const bytes = new Uint8Array(values.length * BYTES_PER[type]);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    const at = i * BYTES_PER[type];
    switch (type) {
      case 'BOOL': case 'UINT8': view.setUint8(at, Number(v)); break;
      case 'INT8': view.setInt8(at, Number(v)); break;
      case 'UINT16': view.setUint16(at, Number(v), true); break;
      case 'INT16': view.setInt16(at, Number(v), true); break;
      case 'FP16': view.setUint16(at, floatToHalf(Number(v)), true); break;
      case 'BF16': view.setUint16(at, floatToBf16(Number(v)), true); break;
      case 'UINT32': view.setUint32(at, Number(v), true); break;
      case 'INT32': view.setInt32(at, Number(v), true); break;
      case 'FP32': view.setFloat32(at, Number(v), true); break;
      case 'UINT64': view.setBigUint64(at, BigInt(v), true); break;
      case 'INT64': view.setBigInt64(at, BigInt(v), true); break;
      case 'FP64': view.setFloat64(at, Number(v), true); break;
    }
  });
  return bytes;
}

/** The input's bytes as they are, when the server's datatype is the tensor's own (no conversion needed). */
export function sameBytes(tensor: Tensor, datatype: OipDatatype): Uint8Array | undefined {
  return OIP_TYPE_FOR[tensor.type] === datatype ? tensor.data : undefined;
}

function checkShape(shape: unknown, what: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff)) {
    throw new NnError('runtime-error', `${what}: the server sent an invalid shape ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/** A wasi:nn tensor from an OIP output: JSON data (flat or nested numbers) or binary bytes. */
export function outputTensor(output: { name: string; datatype: unknown; shape: unknown; data?: unknown }, binary: Uint8Array | undefined, what: string): Tensor {
  if (!isOipDatatype(output.datatype)) throw new NnError('runtime-error', `${what}: output "${output.name}" has an unknown datatype ${JSON.stringify(output.datatype)}`);
  const type = numericType(output.datatype, `output "${output.name}"`);
  const dimensions = checkShape(output.shape, `${what}: output "${output.name}"`);
  const count = elementCount(dimensions);
  const wasiType = WASI_TYPE_FOR[type];
  let values: Array<number | bigint>;
  if (binary) {
    if (binary.byteLength !== count * BYTES_PER[type]) {
      throw new NnError('runtime-error', `${what}: output "${output.name}" has ${binary.byteLength} bytes, its shape [${dimensions}] of ${type} needs ${count * BYTES_PER[type]}`);
    }
    // A fresh buffer of its own: the host may hand it to the guest (a Buffer view of the response would not do).
    if (OIP_TYPE_FOR[wasiType] === type) return { type: wasiType, dimensions, data: new Uint8Array(binary) };
    values = decodeBinary(binary, type);
  } else {
    const data = Array.isArray(output.data) ? (output.data as unknown[]) : undefined;
    // OIP allows nested arrays; servers mostly send flat ones, kept as they are.
    const flat = data?.some(Array.isArray) ? data.flat(Infinity) : data;
    if (!flat || flat.length !== count) {
      throw new NnError('runtime-error', `${what}: output "${output.name}" should hold ${count} numbers for shape [${dimensions}]`);
    }
    for (const v of flat) {
      if (typeof v !== 'number' && typeof v !== 'boolean') throw new NnError('runtime-error', `${what}: output "${output.name}" holds ${JSON.stringify(v)}, not a number`);
    }
    values = type === 'BOOL' ? flat.map(Number) : (flat as number[]);
  }
  return fromValues(wasiType, dimensions, values);
}

function decodeBinary(bytes: Uint8Array, type: Exclude<OipDatatype, 'BYTES'>): Array<number | bigint> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = BYTES_PER[type];
  const values: Array<number | bigint> = [];
  for (let at = 0; at < bytes.byteLength; at += size) {
    switch (type) {
      case 'BOOL': case 'UINT8': values.push(view.getUint8(at)); break;
      case 'INT8': values.push(view.getInt8(at)); break;
      case 'UINT16': values.push(view.getUint16(at, true)); break;
      case 'INT16': values.push(view.getInt16(at, true)); break;
      case 'FP16': values.push(halfToFloat(view.getUint16(at, true))); break;
      case 'BF16': values.push(bf16ToFloat(view.getUint16(at, true))); break;
      case 'UINT32': values.push(view.getUint32(at, true)); break;
      case 'INT32': values.push(view.getInt32(at, true)); break;
      case 'FP32': values.push(view.getFloat32(at, true)); break;
      case 'UINT64': values.push(view.getBigUint64(at, true)); break;
      case 'INT64': values.push(view.getBigInt64(at, true)); break;
      case 'FP64': values.push(view.getFloat64(at, true)); break;
    }
  }
  return values;
}

function fromValues(type: TensorType, dimensions: number[], values: Array<number | bigint>): Tensor {
  let array: ArrayBufferView;
  switch (type) {
    case 'U8': array = Uint8Array.from(values, Number); break;
    case 'I32': array = Int32Array.from(values, Number); break;
    case 'I64': array = BigInt64Array.from(values, (v) => BigInt(typeof v === 'number' ? Math.trunc(v) : v)); break;
    // Plain numbers convert without a mapping function (much faster); bigints only come from binary I64.
    case 'FP32': array = Float32Array.from(values as number[]); break;
    case 'FP64': array = Float64Array.from(values as number[]); break;
    case 'FP16': array = Uint16Array.from(values, (v) => floatToHalf(Number(v))); break;
    case 'BF16': array = Uint16Array.from(values, (v) => floatToBf16(Number(v))); break;
  }
  return { type, dimensions, data: new Uint8Array(array.buffer, array.byteOffset, array.byteLength) };
}
