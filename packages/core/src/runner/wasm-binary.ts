/**
 * Reading and patching WebAssembly binaries: telling components from core modules, and capping
 * linear memory (the `--max-memory` limit) by rewriting each memory's maximum, so `memory.grow`
 * fails inside the guest instead of the host running out.
 */
import { concatBytes } from '../bytes.js';

export type WasmKind = 'component' | 'module';

export const WASM_PAGE = 65536;

/** `component`, `module`, or an error that says what the file is not. */
export function wasmKind(bytes: Uint8Array): WasmKind {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly file (no \\0asm magic)');
  }
  if (bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) return 'module';
  if (bytes[6] === 1 && bytes[7] === 0) return 'component';
  throw new Error(`unsupported WebAssembly version/layer ${Array.from(bytes.subarray(4, 8)).join(',')}`);
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('truncated WebAssembly binary');
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  }
  skip(n: number): void {
    this.pos += n;
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** Re-encodes one `limits` at the reader's position with a maximum of at most `maxPages`. */
function cappedLimits(r: Reader, maxPages: number, out: number[]): void {
  const flag = r.byte();
  if (flag & 0x04) throw new Error('64-bit memories are not supported by --max-memory');
  const min = r.u32();
  const max = flag & 0x01 ? r.u32() : Infinity;
  if (min > maxPages) {
    throw new Error(`the guest needs at least ${(min * WASM_PAGE) / 2 ** 20} MiB of memory, over --max-memory`);
  }
  out.push(flag | 0x01, ...leb(min), ...leb(Math.min(max, maxPages)));
}

function copyName(r: Reader, out: number[]): void {
  const len = r.u32();
  out.push(...leb(len), ...r.bytes.subarray(r.pos, r.pos + len));
  r.skip(len);
}

/** Returns a copy of a core module whose memories (defined or imported) grow to `maxBytes` at most. */
export function capModuleMemory(module: Uint8Array, maxBytes: number): Uint8Array {
  if (wasmKind(module) !== 'module') throw new Error('capModuleMemory takes a core module, not a component');
  const maxPages = Math.floor(maxBytes / WASM_PAGE);
  const r = new Reader(module, 8);
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  while (r.pos < module.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    if (id !== 2 && id !== 5) {
      parts.push(Uint8Array.of(id, ...leb(size)), module.subarray(start, start + size));
      r.skip(size);
      continue;
    }
    const body: number[] = [];
    const count = r.u32();
    body.push(...leb(count));
    for (let i = 0; i < count; i++) {
      if (id === 5) {
        cappedLimits(r, maxPages, body);
        continue;
      }
      copyName(r, body);
      copyName(r, body);
      const kind = r.byte();
      body.push(kind);
      const descStart = r.pos;
      if (kind === 2) {
        cappedLimits(r, maxPages, body);
        continue;
      }
      if (kind === 0) r.u32();
      else if (kind === 1) {
        r.byte();
        const flag = r.byte();
        r.u32();
        if (flag & 1) r.u32();
      } else if (kind === 3) r.skip(2);
      else if (kind === 4) {
        r.byte();
        r.u32();
      } else throw new Error(`unknown import kind ${kind}`);
      body.push(...module.subarray(descStart, r.pos));
    }
    if (r.pos !== start + size) throw new Error(`malformed section ${id}`);
    parts.push(Uint8Array.of(id, ...leb(body.length)), Uint8Array.from(body));
  }
  return concatBytes(parts);
}
