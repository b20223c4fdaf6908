/**
 * An interpreter compiled to WebAssembly (StarlingMonkey, which runs a component's JavaScript)
 * spends a command guest's whole life inside one call of its dispatch loop. V8 compiles each wasm
 * function with its baseline compiler (Liftoff) first and switches a hot one to its optimizing
 * compiler (TurboFan) only for calls made after that: there is no on-stack replacement for wasm,
 * so a dispatch loop already running keeps its baseline code and interprets the guest's code at
 * about half speed until `run` returns.
 *
 * For the dispatch loops wacs recognises (KNOWN_INTERPRETER_LOOPS) the module gets V8's
 * compilation hints section asking for that one function to be optimized as the module compiles.
 * Every other function compiles and tiers up as before. StarlingMonkey's loop takes TurboFan 55–75
 * ms on a background thread, while the guest's worker starts; a TypeScript guest's own work per
 * wasi:nn call then takes about half as long (BENCHMARKS.md).
 */
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { concatBytes } from '../bytes.js';
import { codeSection, insertBeforeCodeInPlace, leb, Reader } from './wasm-binary.js';

export interface KnownLoop {
  engine: string;
  /** Its body's size in bytes; a few bytes more or fewer where its call indices take more or fewer LEB bytes. */
  bodySize: number;
  /** functionFingerprint of its body. */
  fingerprint: string;
}

/**
 * To add an engine's loop (or a new build of one): run a guest that loops under
 * `node --cpu-prof --trace-wasm-compilation-times`; the wasm function with the most self time in
 * the guest worker's profile is the loop. Put its body's size and functionFingerprint here.
 * interpreter-loop.e2e.test.ts (packages/cli) fails when the repository's guests no longer match.
 */
export const KNOWN_INTERPRETER_LOOPS: readonly KnownLoop[] = [
  { engine: "StarlingMonkey's js::Interpret, as componentize-js 0.19.3 embeds it", bodySize: 73548, fingerprint: 'bf237a5eadf8000d181fd81c0683b464' },
];

/** How far a candidate's size may be from a known loop's (1%). */
const SIZE_TOLERANCE = 0.01;

// V8 reads a module's "compilationHints" section only with this flag; modules without one are untouched.
v8.setFlagsFromString('--experimental-wasm-compilation-hints');

/**
 * V8's hint byte: strategy eager, baseline and top tier both optimized. The module's compile
 * includes the loop's, so a guest never starts it on baseline code (hinting only the top tier
 * races the guest's start).
 */
const OPTIMIZED_UP_FRONT = 2 | (2 << 2) | (2 << 4);

/**
 * A function body's shape, independent of where the module puts things: its locals and opcodes,
 * block types and br_table sizes, but no index or constant (a guest built against another world
 * numbers its functions and types differently). Undefined for an opcode outside MVP, sign
 * extension, saturating truncation, bulk memory, reference types and tail calls (such a body is
 * no known loop).
 */
export function functionFingerprint(body: Uint8Array): string | undefined {
  try {
    return shapeHash(body);
  } catch {
    return undefined; // a body it cannot read to its end is no known loop (V8 judges the module)
  }
}

function shapeHash(body: Uint8Array): string | undefined {
  const r = new Reader(body);
  const shape: number[] = [];
  for (let decls = r.u32(); decls > 0; decls--) shape.push(r.u32() & 0xff, r.byte());
  while (r.pos < body.length) {
    const op = r.byte();
    shape.push(op);
    if (op === 0x02 || op === 0x03 || op === 0x04) {
      const type = body[r.pos]!;
      if (type === 0x40 || (type >= 0x6f && type <= 0x7f)) shape.push(r.byte());
      else r.skipLeb();
    } else if (op === 0x0e) {
      const targets = r.u32();
      shape.push(targets & 0xff, targets >> 8);
      for (let i = 0; i <= targets; i++) r.u32();
    } else if (op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || op === 0xd2 || (op >= 0x20 && op <= 0x26) || op === 0x3f || op === 0x40) {
      r.u32();
    } else if (op === 0x11 || op === 0x13) {
      r.u32();
      r.u32();
    } else if (op >= 0x28 && op <= 0x3e) {
      if (r.u32() & 0x40) r.u32(); // alignment, with a memory index under multi-memory
      r.u32();
    } else if (op === 0x41 || op === 0x42 || op === 0xd0) r.skipLeb();
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0x1c) for (let n = r.u32(); n > 0; n--) r.byte();
    else if (op === 0xfc) {
      const sub = r.u32();
      shape.push(sub);
      const immediates = [0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1][sub];
      if (immediates === undefined) return undefined;
      for (let i = 0; i < immediates; i++) r.u32();
    } else if (!(op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1)) {
      return undefined;
    }
  }
  return createHash('sha256').update(Uint8Array.from(shape)).digest('hex').slice(0, 32);
}

/** The positions in the code section (imports not counted) of the known dispatch loops a core module holds. */
export function findInterpreterLoops(module: Uint8Array, known: readonly KnownLoop[] = KNOWN_INTERPRETER_LOOPS): number[] {
  try {
    return scanCode(module, known);
  } catch {
    return []; // a module it cannot read is left for V8 to refuse with its own message
  }
}

function scanCode(module: Uint8Array, known: readonly KnownLoop[]): number[] {
  const code = codeSection(module);
  if (!code) return [];
  const found: number[] = [];
  const r = code.bodies;
  for (let i = 0; i < code.count; i++) {
    const size = r.u32();
    const near = known.filter((loop) => Math.abs(size - loop.bodySize) <= loop.bodySize * SIZE_TOLERANCE);
    if (near.length) {
      const fingerprint = functionFingerprint(module.subarray(r.pos, r.pos + size));
      if (near.some((loop) => loop.fingerprint === fingerprint)) found.push(i);
    }
    r.skip(size);
  }
  return found;
}

/** V8's compilation hints section: one byte per function in the code section, OPTIMIZED_UP_FRONT for `functions`. */
function hintsSection(functionCount: number, functions: number[]): Uint8Array {
  const name = new TextEncoder().encode('compilationHints');
  const hints = new Uint8Array(functionCount);
  for (const f of functions) hints[f] = OPTIMIZED_UP_FRONT;
  const body = concatBytes([Uint8Array.from(leb(name.length)), name, Uint8Array.from(leb(functionCount)), hints]);
  return concatBytes([Uint8Array.from([0, ...leb(body.length)]), body]);
}

/**
 * The core module at `at` in `buffer`, with the hints section when it holds a known dispatch loop
 * (the module itself otherwise); the section is written into the room before the module, as
 * insertBeforeCodeInPlace does.
 */
export function hintInterpreterLoopsInPlace(buffer: Uint8Array, at: number, known: readonly KnownLoop[] = KNOWN_INTERPRETER_LOOPS): Uint8Array {
  const module = buffer.subarray(at);
  const loops = findInterpreterLoops(module, known);
  if (loops.length === 0) return module;
  return insertBeforeCodeInPlace(buffer, at, hintsSection(codeSection(module)!.count, loops));
}
