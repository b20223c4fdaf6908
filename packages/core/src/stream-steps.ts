/**
 * compute_single across the bridge: the host side that batches a stream's steps, and the packed
 * form the steps travel in (the worker unpacks them in abi/preview1.ts).
 */
import type { NnSession } from './host.js';
import { TENSOR_TYPES, type NamedTensor } from './tensor.js';

/**
 * How long the host keeps collecting steps that follow the first before it replies. Every round
 * trip wakes two threads; for a fast model that costs more than the tokens (a 2-core machine
 * streamed stories260K at 0.6 of direct speed with one reply per token). 2 ms is well under what
 * a reader can see, and generation goes on meanwhile.
 */
const STREAM_COALESCE_MS = 2;

/**
 * The host side of compute_single. Backends may generate ahead of the guest (backend-llama does);
 * each round trip takes the step the guest asked for plus every further step already made, so a
 * guest that falls behind (a busy machine, a slow stdout) catches up without a round trip per
 * token. One more step is always asked for before replying: it is in flight while the guest works.
 */
export class StreamSteps {
  /** Per context, the step asked for but not yet sent. */
  private readonly ahead = new Map<number, Promise<NamedTensor[] | null>>();

  constructor(private readonly session: NnSession) {}

  /** One step or more, the last `null` at the end of the sequence. Waits only for the first. */
  async next(context: number, inputs: NamedTensor[], max: number): Promise<Array<NamedTensor[] | null>> {
    const steps: Array<NamedTensor[] | null> = [];
    let next = this.ahead.get(context) ?? this.session.streamNext(context, inputs);
    this.ahead.delete(context);
    let timer: NodeJS.Timeout | undefined;
    let late: Promise<'late'> | undefined;
    try {
      for (;;) {
        let step: NamedTensor[] | null;
        try {
          step = await next;
        } catch (e) {
          if (steps.length === 0) throw e;
          this.ahead.set(context, next); // the failure reaches the guest at the step it belongs to
          return steps;
        }
        steps.push(step);
        if (step === null) return steps;
        // After the first step, more are collected until STREAM_COALESCE_MS have passed.
        late ??= new Promise((resolve) => (timer = setTimeout(resolve, STREAM_COALESCE_MS, 'late')));
        next = this.session.streamNext(context, []);
        if (steps.length >= max || (await Promise.race([next.then(() => 'ready', () => 'ready'), late])) === 'late') {
          this.ahead.set(context, next);
          return steps;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets the step in flight finish before the stream ends or its context goes. */
  async settle(context: number): Promise<void> {
    const pending = this.ahead.get(context);
    this.ahead.delete(context);
    await pending?.catch(() => undefined);
  }
}

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
