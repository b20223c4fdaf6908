/**
 * Just enough protobuf to read ONNX TensorProto files and to splice a ModelProto without decoding
 * its (possibly huge) initializers: a field reader over a byte range, and a writer. Exported as
 * `proto` for backends that read ONNX models too (backend-classic rewrites ZipMap with it), and as
 * `@wacs/onnxruntime/proto`, which imports no onnxruntime and no `node:` module (it bundles for a browser).
 */
import { concatBytes } from '@wacs/core/backend';

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export interface Field {
  number: number;
  wire: number;
  /** Varint fields: the value (as bigint, so 64-bit values survive). */
  varint?: bigint;
  /** Length-delimited fields: the payload, a view into the source. */
  bytes?: Uint8Array;
  /** Fixed-width fields: their little-endian bytes. */
  fixed?: Uint8Array;
  /** Where the whole field (tag included) starts and ends in the source. */
  start: number;
  end: number;
  /** The whole encoded field, tag included, for copying it unchanged. */
  raw: Uint8Array;
  /** Only when reading tolerantly: the data ended inside this field, whose `bytes` are cut short. */
  truncated?: boolean;
}

export class ProtoError extends Error {}

function readVarint(data: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= data.length) throw new ProtoError('truncated varint');
    const byte = data[pos++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new ProtoError('varint is longer than 10 bytes');
  }
}

/**
 * The fields of one message, in order. With `tolerant` (reading only the first bytes of a file), data
 * that ends inside a field yields what it has of a length-delimited field (`truncated`) and stops;
 * otherwise malformed data throws ProtoError.
 */
export function* fields(data: Uint8Array, tolerant = false): Generator<Field> {
  let pos = 0;
  try {
    while (pos < data.length) {
      const start = pos;
      const [tag, afterTag] = readVarint(data, pos);
      pos = afterTag;
      const number = Number(tag >> 3n);
      const wire = Number(tag & 7n);
      if (number === 0) throw new ProtoError('field number 0');
      if (wire === WIRE.varint) {
        const [value, next] = readVarint(data, pos);
        pos = next;
        yield { number, wire, varint: value, start, end: pos, raw: data.subarray(start, pos) };
      } else if (wire === WIRE.bytes) {
        const [length, next] = readVarint(data, pos);
        const end = next + Number(length);
        if (end > data.length) {
          if (!tolerant) throw new ProtoError(`field ${number} runs past the end of its message`);
          yield { number, wire, bytes: data.subarray(next), start, end: data.length, raw: data.subarray(start), truncated: true };
          return;
        }
        pos = end;
        yield { number, wire, bytes: data.subarray(next, end), start, end, raw: data.subarray(start, end) };
      } else if (wire === WIRE.fixed64 || wire === WIRE.fixed32) {
        const size = wire === WIRE.fixed64 ? 8 : 4;
        if (pos + size > data.length) throw new ProtoError(`field ${number} runs past the end of its message`);
        pos += size;
        yield { number, wire, fixed: data.subarray(pos - size, pos), start, end: pos, raw: data.subarray(start, pos) };
      } else {
        throw new ProtoError(`unsupported wire type ${wire} (field ${number})`);
      }
    }
  } catch (e) {
    if (!(tolerant && e instanceof ProtoError)) throw e;
  }
}

/** Values of a repeated varint field, packed or not (call once per field occurrence). */
export function varints(field: Field): bigint[] {
  if (field.varint !== undefined) return [field.varint];
  const out: bigint[] = [];
  const data = field.bytes ?? new Uint8Array();
  let pos = 0;
  while (pos < data.length) {
    const [value, next] = readVarint(data, pos);
    out.push(value);
    pos = next;
  }
  return out;
}

export function text(field: Field | undefined): string {
  return new TextDecoder().decode(field?.bytes);
}

/** Builds a message; nested messages are written as already-encoded bytes. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  private push(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }

  private varintBytes(value: bigint): Uint8Array {
    const out: number[] = [];
    let v = BigInt.asUintN(64, value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v) byte |= 0x80;
      out.push(byte);
    } while (v);
    return Uint8Array.from(out);
  }

  varint(number: number, value: number | bigint): this {
    this.push(this.varintBytes(BigInt((number << 3) | WIRE.varint)));
    return this.push(this.varintBytes(BigInt(value)));
  }

  bytes(number: number, value: Uint8Array): this {
    this.push(this.varintBytes(BigInt((number << 3) | WIRE.bytes)));
    this.push(this.varintBytes(BigInt(value.length)));
    return this.push(value);
  }

  string(number: number, value: string): this {
    return this.bytes(number, new TextEncoder().encode(value));
  }

  /** Copies already-encoded fields (tag included) as they are. */
  raw(encoded: Uint8Array): this {
    return this.push(encoded);
  }

  finish(): Uint8Array {
    return concatBytes(this.parts);
  }
}
