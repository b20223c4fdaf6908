/**
 * The packed form stream steps cross the bridge in: the host packs what `StreamSteps` collected,
 * the preview1 front end unpacks it in the guest's worker.
 */
import { TENSOR_TYPES, type NamedTensor } from '../tensor.js';

/** The most steps one `streamSteps` round trip brings back. */
export const STREAM_BATCH = 64;

/**
 * Stream steps travel as one packed byte array rather than as objects: a step costs about 1 µs to
 * pack and unpack instead of about 10 µs through JSON, which is several percent of a small model's
 * token. Layout (little-endian): u32 step count; per step u32 output count, 0xffffffff for the end
 * of the sequence; per output u16 name length, the name (UTF-8), u8 tensor type (index in
 * TENSOR_TYPES), u8 rank, u32 dimensions, u32 data length, the data.
 */
export function packSteps(steps: Array<NamedTensor[] | null>): Uint8Array {
  const names = steps.map((step) => step?.map((o) => utf8Encoder.encode(o.name)) ?? []);
  let size = 4;
  steps.forEach((step, i) => {
    size += 4;
    step?.forEach((o, j) => (size += 2 + names[i]![j]!.byteLength + 2 + 4 * o.tensor.dimensions.length + 4 + o.tensor.data.byteLength));
  });
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let at = 0;
  const u32 = (value: number) => (view.setUint32(at, value, true), (at += 4));
  u32(steps.length);
  steps.forEach((step, i) => {
    u32(step ? step.length : END_OF_STEPS);
    step?.forEach((o, j) => {
      const name = names[i]![j]!;
      view.setUint16(at, name.byteLength, true);
      bytes.set(name, at + 2);
      at += 2 + name.byteLength;
      bytes[at++] = TENSOR_TYPES.indexOf(o.tensor.type);
      bytes[at++] = o.tensor.dimensions.length;
      o.tensor.dimensions.forEach(u32);
      u32(o.tensor.data.byteLength);
      bytes.set(o.tensor.data, at);
      at += o.tensor.data.byteLength;
    });
  });
  return bytes;
}

/** The inverse of `packSteps`; tensor data are views into `bytes`, which the caller owns. */
export function unpackSteps(bytes: Uint8Array): Array<NamedTensor[] | null> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const u32 = () => ((at += 4), view.getUint32(at - 4, true));
  return Array.from({ length: u32() }, () => {
    const count = u32();
    if (count === END_OF_STEPS) return null;
    return Array.from({ length: count }, () => {
      const nameLength = view.getUint16(at, true);
      const name = utf8.decode(bytes.subarray(at + 2, at + 2 + nameLength));
      at += 2 + nameLength;
      const type = TENSOR_TYPES[bytes[at++]!]!;
      const dimensions = Array.from({ length: bytes[at++]! }, u32);
      const length = u32();
      const data = bytes.subarray(at, at + length);
      at += length;
      return { name, tensor: { type, dimensions, data } };
    });
  });
}

const END_OF_STEPS = 0xffffffff;
const utf8Encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });
