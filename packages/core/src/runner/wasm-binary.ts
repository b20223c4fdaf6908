/**
 * Reading and patching WebAssembly binaries: telling components from core modules, capping
 * linear memory (the `--max-memory` limit) by rewriting each memory's maximum, so `memory.grow`
 * fails inside the guest instead of the host running out, and declaring memories shared (see
 * guest-memory-sharing.ts).
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

/** The most pages a 32-bit memory can have (4 GiB). */
const MAX_PAGES = 65536;

export interface MemoryPatch {
  /** Caps every memory's maximum at this many bytes (the `--max-memory` limit). */
  maxBytes?: number;
  /** Declares every memory shared (a shared memory needs a maximum: 4 GiB where none is set). */
  shared?: boolean;
}

/** Re-encodes one `limits` at the reader's position as `patch` asks. */
function patchedLimits(r: Reader, patch: MemoryPatch, out: number[]): void {
  const flag = r.byte();
  if (flag & 0x04) throw new Error('64-bit memories are not supported');
  const min = r.u32();
  let max = flag & 0x01 ? r.u32() : undefined;
  if (patch.maxBytes !== undefined) {
    const cap = Math.floor(patch.maxBytes / WASM_PAGE);
    if (min > cap) throw new Error(`the guest needs at least ${(min * WASM_PAGE) / 2 ** 20} MiB of memory, over --max-memory`);
    max = Math.min(max ?? MAX_PAGES, cap);
  }
  const shared = patch.shared === true || (flag & 0x02) !== 0;
  if (shared) max ??= MAX_PAGES;
  out.push((shared ? 0x02 : 0) | (max === undefined ? 0 : 0x01), ...leb(min), ...(max === undefined ? [] : leb(max)));
}

function copyName(r: Reader, out: number[]): void {
  const len = r.u32();
  out.push(...leb(len), ...r.bytes.subarray(r.pos, r.pos + len));
  r.skip(len);
}

/** Returns a copy of a core module whose memories (defined or imported) grow to `maxBytes` at most. */
export function capModuleMemory(module: Uint8Array, maxBytes: number): Uint8Array {
  return patchModuleMemory(module, { maxBytes });
}

/** A core module with every memory, defined or imported, patched as `patch` asks (the module itself when it asks nothing). */
export function patchModuleMemory(module: Uint8Array, patch: MemoryPatch): Uint8Array {
  if (!asksSomething(module, patch)) return module;
  const { head, rest } = patchedHead(module, patch);
  return concatBytes([head, module.subarray(rest)]);
}

/**
 * `patchModuleMemory` without copying the module: it lies at `at` in `buffer`, with room before it,
 * and its patched head (the sections up to the memory section, a few KiB) is written just before
 * the unchanged rest. A JavaScript engine's module is ~12 MB; a copy would double it in memory
 * while it compiles. Returns the patched module, a view of `buffer`.
 */
export function patchModuleMemoryInPlace(buffer: Uint8Array, at: number, patch: MemoryPatch): Uint8Array {
  const module = buffer.subarray(at);
  if (!asksSomething(module, patch)) return module;
  const { head, rest } = patchedHead(module, patch);
  const start = at + rest - head.length;
  if (start < 0) return concatBytes([head, module.subarray(rest)]);
  buffer.set(head, start);
  return buffer.subarray(start);
}

function asksSomething(module: Uint8Array, patch: MemoryPatch): boolean {
  if (wasmKind(module) !== 'module') throw new Error('patchModuleMemory takes a core module, not a component');
  return patch.maxBytes !== undefined || patch.shared === true;
}

/**
 * The module's sections up to the first one after the memory section, with the import and memory
 * sections patched, and the offset in `module` where the unchanged rest begins.
 */
function patchedHead(module: Uint8Array, patch: MemoryPatch): { head: Uint8Array; rest: number } {
  const r = new Reader(module, 8);
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  while (r.pos < module.length) {
    const sectionStart = r.pos;
    const id = r.byte();
    // Custom sections (0) may sit anywhere; past the memory section (5) nothing is patched.
    if (id > 5) return { head: concatBytes(parts), rest: sectionStart };
    const size = r.u32();
    const start = r.pos;
    if (id !== 2 && id !== 5) {
      parts.push(module.subarray(sectionStart, start + size));
      r.skip(size);
      continue;
    }
    const body: number[] = [];
    const count = r.u32();
    body.push(...leb(count));
    for (let i = 0; i < count; i++) {
      if (id === 5) {
        patchedLimits(r, patch, body);
        continue;
      }
      copyName(r, body);
      copyName(r, body);
      const kind = r.byte();
      body.push(kind);
      const descStart = r.pos;
      if (kind === 2) {
        patchedLimits(r, patch, body);
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
  return { head: concatBytes(parts), rest: module.length };
}
