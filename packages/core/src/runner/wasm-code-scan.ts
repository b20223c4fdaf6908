/**
 * Reads a core module's code instruction by instruction to tell whether it can change state that
 * lives outside its linear memory and globals once it is instantiated: its tables (table.set,
 * table.grow, table.fill, table.copy, table.init) and its passive segments (data.drop, elem.drop).
 * `wacs serve` resets a finished instance to its state just after instantiation by restoring its
 * memory and globals (see serve/instance-reset.ts); that is a fresh instance only for a module
 * whose code has none of these instructions.
 *
 * The decoder knows the immediates of the core instructions, sign extension, saturating
 * truncation, bulk memory, reference types, tail calls, legacy exceptions, SIMD, relaxed SIMD and
 * threads. An instruction it does not know (GC, typed continuations, a future proposal) answers
 * `unknown`, which the caller treats as "may change them".
 */
import { codeSection, Reader } from './wasm-binary.js';

export type StateOutsideMemory = 'none' | 'changes' | 'unknown';

/** Thrown inside the walk; caught at its top. */
class Verdict {
  constructor(readonly value: Exclude<StateOutsideMemory, 'none'>) {}
}

const CHANGES = new Verdict('changes');
const UNKNOWN = new Verdict('unknown');

/** Whether the code of `module` can change its tables or drop its segments. */
export function stateOutsideMemory(module: Uint8Array): StateOutsideMemory {
  const code = codeSection(module);
  if (!code) return 'none';
  const r = code.bodies;
  try {
    for (let i = 0; i < code.count; i++) {
      const size = r.u32();
      const end = r.pos + size;
      skipLocals(r);
      while (r.pos < end) instruction(r);
      if (r.pos !== end) return 'unknown';
    }
  } catch (e) {
    if (e instanceof Verdict) return e.value;
    throw e;
  }
  return 'none';
}

function skipLocals(r: Reader): void {
  for (let groups = r.u32(); groups > 0; groups--) {
    r.u32();
    valueType(r);
  }
}

/** A value type: one byte, except the typed references of GC and function references. */
function valueType(r: Reader): void {
  const type = r.byte();
  if (type === 0x63 || type === 0x64) r.skipLeb(); // (ref null ht), (ref ht): a heap type follows
}

/** A block type: empty (0x40), a value type, or a type index (s33): each fits skipLeb but the typed references. */
function blockType(r: Reader): void {
  const first = r.bytes[r.pos];
  if (first === 0x63 || first === 0x64) valueType(r);
  else r.skipLeb();
}

/** A memory argument: alignment (bit 6 set: a memory index follows), then the offset. */
function memarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32();
  r.skipLeb();
}

function instruction(r: Reader): void {
  const op = r.byte();
  if (op >= 0x45 && op <= 0xc4) return; // numeric operators: no immediates
  if (op >= 0x28 && op <= 0x3e) return memarg(r); // loads and stores
  switch (op) {
    case 0x00: // unreachable
    case 0x01: // nop
    case 0x05: // else
    case 0x0b: // end
    case 0x0f: // return
    case 0x19: // catch_all
    case 0x1a: // drop
    case 0x1b: // select
    case 0xd1: // ref.is_null
    case 0xd3: // ref.eq
    case 0xd4: // ref.as_non_null
      return;
    case 0x02: // block
    case 0x03: // loop
    case 0x04: // if
    case 0x06: // try
      return blockType(r);
    case 0x07: // catch
    case 0x08: // throw
    case 0x09: // rethrow
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x10: // call
    case 0x12: // return_call
    case 0x14: // call_ref
    case 0x15: // return_call_ref
    case 0x18: // delegate
    case 0x20: // local.get
    case 0x21: // local.set
    case 0x22: // local.tee
    case 0x23: // global.get
    case 0x24: // global.set (the globals are reset with the memory)
    case 0x25: // table.get
    case 0x3f: // memory.size
    case 0x40: // memory.grow (a grown memory is never reset)
    case 0xd2: // ref.func
    case 0xd5: // br_on_null
    case 0xd6: // br_on_non_null
      r.u32();
      return;
    case 0x0e: // br_table
      for (let n = r.u32(); n >= 0; n--) r.u32();
      return;
    case 0x11: // call_indirect
    case 0x13: // return_call_indirect
      r.u32();
      r.u32();
      return;
    case 0x1c: // select with types
      for (let n = r.u32(); n > 0; n--) valueType(r);
      return;
    case 0x26: // table.set
      throw CHANGES;
    case 0x41: // i32.const
    case 0x42: // i64.const
    case 0xd0: // ref.null (a heap type)
      r.skipLeb();
      return;
    case 0x43: // f32.const
      r.skip(4);
      return;
    case 0x44: // f64.const
      r.skip(8);
      return;
    case 0xfc:
      return miscInstruction(r);
    case 0xfd:
      return simdInstruction(r);
    case 0xfe:
      return atomicInstruction(r);
    default:
      throw UNKNOWN;
  }
}

function miscInstruction(r: Reader): void {
  const op = r.u32();
  if (op <= 7) return; // saturating truncations
  switch (op) {
    case 8: // memory.init
    case 10: // memory.copy
      r.u32();
      r.u32();
      return;
    case 11: // memory.fill
    case 16: // table.size
      r.u32();
      return;
    case 9: // data.drop
    case 12: // table.init
    case 13: // elem.drop
    case 14: // table.copy
    case 15: // table.grow
    case 17: // table.fill
      throw CHANGES;
    default:
      throw UNKNOWN;
  }
}

function simdInstruction(r: Reader): void {
  const op = r.u32();
  if (op <= 11 || op === 92 || op === 93) return memarg(r); // loads, stores, load-zero
  if (op === 12 || op === 13) return r.skip(16); // v128.const, i8x16.shuffle
  if (op >= 21 && op <= 34) return r.skip(1); // lane extracts and replaces
  if (op >= 84 && op <= 91) {
    memarg(r); // lane loads and stores
    r.skip(1);
    return;
  }
  if (op <= 0x113) return; // the rest of SIMD and relaxed SIMD: no immediates
  throw UNKNOWN;
}

function atomicInstruction(r: Reader): void {
  const op = r.u32();
  if (op === 0x03) return r.skip(1); // atomic.fence
  if (op <= 0x4e) return memarg(r);
  throw UNKNOWN;
}
