/**
 * Just enough protobuf to read ONNX ModelProto structure (op types, domains, attributes, graph
 * outputs) and to rewrite a graph by copying fields: classical models need no full ONNX library.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export interface Field {
  field: number;
  wire: number;
  /** Varint value (exact up to 2^53; see `varintBig` for int64 attributes). */
  value: number;
  /** Payload of a length-delimited field (may be cut short when `truncated`); a varint's own bytes. */
  bytes: Uint8Array;
  /** The whole field, tag included, for copying it unchanged. */
  raw: Uint8Array;
  /** The buffer ended inside this field (only when reading a prefix of a file). */
  truncated: boolean;
}

function readVarint(buf: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (!(b & 0x80)) return { value, next: i + 1 };
  }
  return undefined;
}

/** Reads a varint as a signed 64-bit integer (ONNX int64 attributes may be negative). */
export function varintBig(buf: Uint8Array, pos: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  let i = pos;
  for (; i < buf.length; i++) {
    const b = buf[i]!;
    value |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if (!(b & 0x80)) break;
  }
  return { value: BigInt.asIntN(64, value), next: i + 1 };
}

/**
 * The fields of one message. With `tolerant`, a buffer that ends mid-field yields what it has and
 * stops (used on the first bytes of a model); otherwise a malformed buffer throws.
 */
export function* fields(buf: Uint8Array, tolerant = false): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const tag = readVarint(buf, pos);
    if (!tag) {
      if (tolerant) return;
      throw new Error('malformed protobuf: truncated tag');
    }
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    pos = tag.next;
    let value = 0;
    let bytes: Uint8Array = EMPTY;
    let truncated = false;
    if (wire === WIRE_VARINT) {
      const v = readVarint(buf, pos);
      if (!v) {
        if (tolerant) return;
        throw new Error('malformed protobuf: truncated varint');
      }
      value = v.value;
      bytes = buf.subarray(pos, v.next);
      pos = v.next;
    } else if (wire === WIRE_BYTES) {
      const len = readVarint(buf, pos);
      if (!len) {
        if (tolerant) return;
        throw new Error('malformed protobuf: truncated length');
      }
      const end = len.next + len.value;
      if (end > buf.length) {
        if (!tolerant) throw new Error('malformed protobuf: a field runs past the end of the buffer');
        truncated = true;
      }
      bytes = buf.subarray(len.next, Math.min(end, buf.length));
      pos = Math.min(end, buf.length);
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      const size = wire === WIRE_FIXED64 ? 8 : 4;
      if (pos + size > buf.length) {
        if (tolerant) return;
        throw new Error('malformed protobuf: truncated fixed field');
      }
      bytes = buf.subarray(pos, pos + size);
      pos += size;
    } else {
      if (tolerant) return;
      throw new Error(`malformed protobuf: wire type ${wire}`);
    }
    yield { field, wire, value, bytes, raw: buf.subarray(start, pos), truncated };
    if (truncated) return;
  }
}

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Builds a message from already-encoded fields and new ones. */
export class MessageWriter {
  private readonly parts: Uint8Array[] = [];

  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }

  varint(field: number, value: number): this {
    this.parts.push(Uint8Array.from([...varintBytes(field * 8 + WIRE_VARINT), ...varintBytes(value)]));
    return this;
  }

  bytes(field: number, payload: Uint8Array): this {
    this.parts.push(Uint8Array.from([...varintBytes(field * 8 + WIRE_BYTES), ...varintBytes(payload.length)]), payload);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of this.parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}
