/**
 * Reading and patching WebAssembly binaries: telling components from core modules, capping
 * linear memory (the `--max-memory` limit) by rewriting each memory's maximum, so `memory.grow`
 * fails inside the guest instead of the host running out, declaring memories shared (see
 * guest-memory-sharing.ts), turning a defined memory into an import (see MemoryPatch), and adding
 * a section before the code (see interpreter-loops.ts).
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

export class Reader {
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
  /** Skips a LEB128 number, signed or not, without reading its value. */
  skipLeb(): void {
    while (this.byte() & 0x80);
  }
  skip(n: number): void {
    this.pos += n;
  }
}

export function leb(value: number): number[] {
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
  /**
   * Moves the memory the module defines into the import GUEST_MEMORY_IMPORT, so that whoever
   * instantiates it chooses the memory (`wacs serve` hands a finished instance's memory, zeroed, to
   * the next one). Applies to a module that defines one memory and imports none; others are left.
   */
  importMemory?: boolean;
}

/** Where a module patched with `importMemory` imports its memory from. */
export const GUEST_MEMORY_IMPORT = { module: 'wacs:guest', name: 'memory' } as const;

/** A memory's limits, in pages. */
export interface MemoryLimits {
  initial: number;
  maximum?: number;
  shared: boolean;
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

function readLimits(r: Reader): MemoryLimits {
  const flag = r.byte();
  const initial = r.u32();
  return { initial, maximum: flag & 0x01 ? r.u32() : undefined, shared: (flag & 0x02) !== 0 };
}

function readName(r: Reader): string {
  const len = r.u32();
  const name = new TextDecoder().decode(r.bytes.subarray(r.pos, r.pos + len));
  r.skip(len);
  return name;
}

/** Skips an import's description of the given kind (the memory kind is read by the caller). */
function skipImportDesc(r: Reader, kind: number): void {
  if (kind === 0) r.u32();
  else if (kind === 1) {
    r.byte();
    const flag = r.byte();
    r.u32();
    if (flag & 1) r.u32();
  } else if (kind === 2) readLimits(r);
  else if (kind === 3) r.skip(2);
  else if (kind === 4) {
    r.byte();
    r.u32();
  } else throw new Error(`unknown import kind ${kind}`);
}

/** Calls `visit` with each section's id, start (its id byte) and body, in order, until `visit` returns true. */
function walkSections(module: Uint8Array, visit: (id: number, start: number, body: Reader) => boolean | void): void {
  const r = new Reader(module, 8);
  while (r.pos < module.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    if (visit(id, start, new Reader(module.subarray(0, r.pos + size), r.pos))) return;
    r.skip(size);
  }
}

/** Calls `visit` with each section's id and body before the code section (where imports and memories are). */
function headSections(module: Uint8Array, visit: (id: number, body: Reader) => void): void {
  walkSections(module, (id, _, body) => {
    if (id > 5 && id !== 0) return true;
    visit(id, body);
  });
}

/**
 * Calls `visit` with each import's module, name and kind, the reader at its description; a
 * description `visit` does not read is skipped.
 */
function forEachImport(r: Reader, visit: (from: string, name: string, kind: number, desc: Reader) => void): void {
  for (let i = r.u32(); i > 0; i--) {
    const from = readName(r);
    const name = readName(r);
    const kind = r.byte();
    const descStart = r.pos;
    visit(from, name, kind, r);
    if (r.pos === descStart) skipImportDesc(r, kind);
  }
}

/** The limits of a module's GUEST_MEMORY_IMPORT, if it has one (a module patched with `importMemory`). */
export function guestMemoryImport(module: Uint8Array): MemoryLimits | undefined {
  let limits: MemoryLimits | undefined;
  headSections(module, (id, r) => {
    if (id !== 2) return;
    forEachImport(r, (from, name, kind, desc) => {
      if (kind === 2 && from === GUEST_MEMORY_IMPORT.module && name === GUEST_MEMORY_IMPORT.name) limits = readLimits(desc);
    });
  });
  return limits;
}

/** The encoded limits of the one memory the module defines, patched, when `importMemory` can move it. */
function memoryToMove(module: Uint8Array, patch: MemoryPatch): number[] | undefined {
  if (!patch.importMemory) return undefined;
  let defined: number[][] = [];
  let importsMemory = false;
  headSections(module, (id, r) => {
    if (id === 2) forEachImport(r, (_from, _name, kind) => (importsMemory ||= kind === 2));
    else if (id === 5) {
      defined = Array.from({ length: r.u32() }, () => {
        const limits: number[] = [];
        patchedLimits(r, patch, limits);
        return limits;
      });
    }
  });
  return defined.length === 1 && !importsMemory ? defined[0] : undefined;
}

/** The import section entry GUEST_MEMORY_IMPORT with the given encoded limits. */
function memoryImportEntry(limits: number[]): number[] {
  const text = (value: string) => {
    const bytes = new TextEncoder().encode(value);
    return [...leb(bytes.length), ...bytes];
  };
  return [...text(GUEST_MEMORY_IMPORT.module), ...text(GUEST_MEMORY_IMPORT.name), 2, ...limits];
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
  return patch.maxBytes !== undefined || patch.shared === true || patch.importMemory === true;
}

/**
 * The module's sections up to the first one after the memory section, with the import and memory
 * sections patched, and the offset in `module` where the unchanged rest begins.
 */
function patchedHead(module: Uint8Array, patch: MemoryPatch): { head: Uint8Array; rest: number } {
  const moved = memoryToMove(module, patch);
  let importPending = moved !== undefined;
  const r = new Reader(module, 8);
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  const addImportSection = () => {
    const body = [...leb(1), ...memoryImportEntry(moved!)];
    parts.push(Uint8Array.of(2, ...leb(body.length)), Uint8Array.from(body));
    importPending = false;
  };
  while (r.pos < module.length) {
    const sectionStart = r.pos;
    const id = r.byte();
    // A module with no imports gets an import section before its first section past them.
    if (importPending && id > 2) addImportSection();
    // Custom sections (0) may sit anywhere; past the memory section (5) nothing is patched.
    if (id > 5) return { head: concatBytes(parts), rest: sectionStart };
    const size = r.u32();
    const start = r.pos;
    if (id === 5 && moved) {
      r.skip(size); // the memory is imported now
      continue;
    }
    if (id !== 2 && id !== 5) {
      parts.push(module.subarray(sectionStart, start + size));
      r.skip(size);
      continue;
    }
    const body: number[] = [];
    const count = r.u32();
    body.push(...leb(count + (id === 2 && moved ? 1 : 0)));
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
      skipImportDesc(r, kind);
      body.push(...module.subarray(descStart, r.pos));
    }
    if (id === 2 && moved) {
      body.push(...memoryImportEntry(moved));
      importPending = false;
    }
    if (r.pos !== start + size) throw new Error(`malformed section ${id}`);
    parts.push(Uint8Array.of(id, ...leb(body.length)), Uint8Array.from(body));
  }
  if (importPending) addImportSection();
  return { head: concatBytes(parts), rest: module.length };
}

/**
 * The code section of a core module: where it starts (its id byte) and a reader at its first
 * function body's size; undefined when the module has no code.
 */
export function codeSection(module: Uint8Array): { start: number; count: number; bodies: Reader } | undefined {
  let code: { start: number; count: number; bodies: Reader } | undefined;
  walkSections(module, (id, start, bodies) => {
    if (id === 10) code = { start, count: bodies.u32(), bodies };
    return code !== undefined;
  });
  return code;
}

/**
 * A module with `section` (a whole section, id and size included) inserted just before its code
 * section. Like patchModuleMemoryInPlace it moves only the sections before the code (tens of KiB)
 * into the room before the module at `at` in `buffer`, and copies the module only when the room is
 * short. Returns the module unchanged when it has no code section.
 */
export function insertBeforeCodeInPlace(buffer: Uint8Array, at: number, section: Uint8Array): Uint8Array {
  const module = buffer.subarray(at);
  const code = codeSection(module);
  if (!code) return module;
  if (at < section.length) return concatBytes([module.subarray(0, code.start), section, module.subarray(code.start)]);
  const start = at - section.length;
  buffer.copyWithin(start, at, at + code.start);
  buffer.set(section, start + code.start);
  return buffer.subarray(start);
}

/** The export name `exportMutableGlobalsInPlace` gives each mutable global the module defines, by its index. */
export const MUTABLE_GLOBAL_EXPORT = 'wacs:global:';

/** The indices of the mutable globals a module defines, and whether it imports a mutable one. */
function mutableGlobals(module: Uint8Array): { defined: number[]; importsMutable: boolean } {
  let imported = 0;
  let importsMutable = false;
  const defined: number[] = [];
  walkSections(module, (id, _, r) => {
    if (id === 2) {
      forEachImport(r, (_from, _name, kind, desc) => {
        if (kind !== 3) return;
        imported++;
        desc.byte();
        importsMutable ||= desc.byte() === 1;
      });
    } else if (id === 6) {
      for (let i = 0, count = r.u32(); i < count; i++) {
        const type = r.byte();
        if (type === 0x63 || type === 0x64) r.skipLeb();
        if (r.byte() === 1) defined.push(imported + i);
        skipConstExpr(r);
      }
    }
    return id === 10;
  });
  return { defined, importsMutable };
}

/** Skips a constant expression (a global's initializer) up to its `end`; throws on one it does not know (GC). */
function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.byte();
    if (op === 0x0b) return;
    if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd0 || op === 0xd2) r.skipLeb();
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0xfd) {
      r.u32();
      r.skip(16); // v128.const
    } else if (![0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e].includes(op)) throw new Error(`unknown constant instruction 0x${op.toString(16)}`);
  }
}

/**
 * A module that exports each mutable global it defines as MUTABLE_GLOBAL_EXPORT + its index, so
 * that whoever instantiates it can read and restore them (`wacs serve`'s instance reset). Like
 * insertBeforeCodeInPlace, it rewrites only the sections before the code, in the room before the
 * module at `at` in `buffer`. `exported` is false for a module that imports a mutable global (state
 * it does not own).
 */
export function exportMutableGlobalsInPlace(buffer: Uint8Array, at: number): { module: Uint8Array; exported: boolean } {
  const module = buffer.subarray(at);
  let globals;
  try {
    globals = mutableGlobals(module);
  } catch {
    return { module, exported: false };
  }
  const { defined, importsMutable } = globals;
  const code = codeSection(module);
  if (importsMutable || !code) return { module, exported: !importsMutable };
  if (defined.length === 0) return { module, exported: true };
  const added: number[] = [];
  for (const index of defined) {
    const name = new TextEncoder().encode(`${MUTABLE_GLOBAL_EXPORT}${index}`);
    added.push(...leb(name.length), ...name, 3, ...leb(index));
  }
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let placed = false;
  walkSections(module, (id, start, r) => {
    if (id === 10) return true;
    const end = r.bytes.length;
    if (id === 7) {
      const count = r.u32();
      const body = [...leb(count + defined.length), ...module.subarray(r.pos, end), ...added];
      parts.push(Uint8Array.of(7, ...leb(body.length)), Uint8Array.from(body));
      placed = true;
      return;
    }
    // No export section: one goes before the start, element and data count sections.
    if (!placed && (id === 8 || id === 9 || id === 12)) {
      const body = [...leb(defined.length), ...added];
      parts.push(Uint8Array.of(7, ...leb(body.length)), Uint8Array.from(body));
      placed = true;
    }
    parts.push(module.subarray(start, end));
  });
  if (!placed) {
    const body = [...leb(defined.length), ...added];
    parts.push(Uint8Array.of(7, ...leb(body.length)), Uint8Array.from(body));
  }
  const head = concatBytes(parts);
  const begin = at + code.start - head.length;
  if (begin < 0) return { module: concatBytes([head, module.subarray(code.start)]), exported: true };
  buffer.set(head, begin);
  return { module: buffer.subarray(begin), exported: true };
}
