// A small library for wasi:nn guests: typed tensors, wasi:nn errors as messages, args, env and stdin.
import { Tensor, type TensorType } from 'wasi:nn/tensor@0.2.0-rc-2024-10-28';
import { load, loadByName, type Graph, type GraphEncoding } from 'wasi:nn/graph@0.2.0-rc-2024-10-28';
import type { GraphExecutionContext } from 'wasi:nn/inference@0.2.0-rc-2024-10-28';
import { getArguments, getEnvironment } from 'wasi:cli/environment@0.2.3';
import { getStdin } from 'wasi:cli/stdin@0.2.3';
import { getStdout } from 'wasi:cli/stdout@0.2.3';

export { Tensor, load, loadByName };
export type { TensorType, Graph, GraphEncoding, GraphExecutionContext };

/** Guest arguments without the program name. */
export function args(): string[] {
  return getArguments().slice(1);
}

/** The arguments as `parse` reads them; its usage error goes to stdout, where the user looks, before the trap. */
export function parsedArgs<T>(parse: (argv: string[]) => T): T {
  try {
    return parse(args());
  } catch (e) {
    write(`${(e as Error).message}\n`);
    throw e;
  }
}

export function env(name: string): string | undefined {
  return getEnvironment().find(([key]) => key === name)?.[1];
}

/** wasi:nn errors arrive as thrown objects whose payload is an `error` resource. */
export function describeError(e: unknown): string {
  const err = (e as { payload?: { code(): string; data(): string } }).payload ?? e;
  if (err && typeof (err as { code?: unknown }).code === 'function') {
    const nn = err as { code(): string; data(): string };
    return `wasi-nn error ${nn.code()}: ${nn.data()}`;
  }
  return String(e instanceof Error ? e.message : e);
}

const ARRAYS = {
  FP32: Float32Array,
  FP64: Float64Array,
  U8: Uint8Array,
  I32: Int32Array,
  I64: BigInt64Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
} as const;

/** Makes a tensor from plain numbers (FP16/BF16 take their raw 16-bit patterns). */
export function tensor(type: TensorType, dims: number[], values: ArrayLike<number> | ArrayLike<bigint>): Tensor {
  const Ctor = ARRAYS[type];
  const typed =
    type === 'I64'
      ? BigInt64Array.from(values as ArrayLike<number>, (v) => BigInt(v))
      : new (Ctor as Float32ArrayConstructor)(values as ArrayLike<number>);
  return new Tensor(new Uint32Array(dims), type, new Uint8Array(typed.buffer));
}

/** The elements of a tensor as a typed array. */
export function values(t: Tensor): Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array | Uint16Array {
  const data = t.data();
  const Ctor = ARRAYS[t.ty()];
  const bytes = data.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 ? data : data.slice();
  return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
}

// One encoder and decoder for every call: StarlingMonkey makes each new one at a cost.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function textTensor(text: string): Tensor {
  const bytes = encoder.encode(text);
  return new Tensor(new Uint32Array([bytes.length]), 'U8', bytes);
}

export function text(t: Tensor): string {
  return decoder.decode(t.data());
}

/** Reads all of stdin as bytes (e.g. a model piped in). */
export function readStdin(): Uint8Array {
  const stream = getStdin();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Uint8Array;
    try {
      chunk = stream.blockingRead(1n << 20n);
    } catch {
      break; // end of input
    }
    chunks.push(chunk);
    total += chunk.length;
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  return all;
}

/** Reads stdin line by line (blocking); returns null at end of input. */
export class LineReader {
  private buffered = '';
  private done = false;
  private readonly stream = getStdin();
  private readonly decoder = new TextDecoder();

  readLine(): string | null {
    for (;;) {
      const nl = this.buffered.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        return line.replace(/\r$/, '');
      }
      if (this.done) {
        if (!this.buffered) return null;
        const rest = this.buffered;
        this.buffered = '';
        return rest;
      }
      try {
        this.buffered += this.decoder.decode(this.stream.blockingRead(65536n), { stream: true });
      } catch {
        this.done = true;
      }
    }
  }
}

/** Writes to stdout without a newline (for streaming tokens), flushing at once. */
export function write(text: string): void {
  const bytes = encoder.encode(text);
  const out = getStdout();
  for (let i = 0; i < bytes.length; i += 4096) out.blockingWriteAndFlush(bytes.subarray(i, i + 4096));
}
