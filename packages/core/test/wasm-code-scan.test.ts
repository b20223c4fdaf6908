// The code scan behind `wacs serve`'s instance reset. Oracle: modules written in WAT, each with or
// without an instruction that changes a table or drops a segment, assembled by jco (wasm-tools).
import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { stateOutsideMemory } from '../src/runner/wasm-code-scan.js';

const scan = async (wat: string) => stateOutsideMemory(await parse(wat));

const PRELUDE = `(type $f (func (param i32) (result i32)))
  (memory 1 1 shared) (table $t 4 funcref) (elem declare func $id) (data $d "abc")
  (func $id (param i32) (result i32) local.get 0)`;

describe('stateOutsideMemory', () => {
  it('reads every kind of immediate and finds nothing in code that keeps to memory and globals', async () => {
    expect(
      await scan(`(module ${PRELUDE}
        (global $g (mut i64) (i64.const -1))
        (func (export "f") (param i32) (result i32) (local v128 f64)
          (block $out (result i32)
            (loop $again
              (br_table $out $again $out (i32.const 38) (local.get 0)))
            (i32.const 38))
          (if (result i32) (then (call_indirect $t (type $f) (i32.const 38) (i32.const 0))) (else (i32.const 0x26)))
          (drop)
          (drop (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)))
          (global.set $g (i64.const 0x2626262626))
          (local.set 2 (f64.const 38.38))
          (drop (f32.const 0.26))
          (i64.store offset=38 align=8 (i32.const 0) (i64.load (i32.const 0)))
          (local.set 1 (v128.const i8x16 38 38 38 38 38 38 38 38 38 38 38 38 38 38 38 38))
          (local.set 1 (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (local.get 1) (local.get 1)))
          (drop (i8x16.extract_lane_u 3 (local.get 1)))
          (local.set 1 (v128.load32_lane offset=4 2 (i32.const 0) (local.get 1)))
          (local.set 1 (f32x4.add (local.get 1) (v128.load (i32.const 16))))
          (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
          (atomic.fence)
          (memory.copy (i32.const 0) (i32.const 8) (i32.const 4))
          (memory.fill (i32.const 0) (i32.const 0) (i32.const 4))
          (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3))
          (drop (table.get $t (i32.const 0)))
          (drop (table.size $t))
          (drop (ref.is_null (ref.func $id)))
          (drop (ref.null func))
          (drop (i32.trunc_sat_f32_s (f32.const 1)))
          (drop (memory.grow (i32.const 0)))
          (return_call $id (i32.const 1))))`),
    ).toBe('none');
  });

  it('reads a br_table to its default label (index 31: read as an opcode, 0x1f would be unknown)', async () => {
    const blocks = (depth: number): string => (depth === 0 ? '(br_table 0 31 (i32.const 0))' : `(block ${blocks(depth - 1)})`);
    expect(await scan(`(module (func ${blocks(32)}))`)).toBe('none');
  });

  it.each([
    ['table.set', '(table.set $t (i32.const 0) (ref.func $id))'],
    ['table.grow', '(drop (table.grow $t (ref.null func) (i32.const 1)))'],
    ['table.fill', '(table.fill $t (i32.const 0) (ref.null func) (i32.const 1))'],
    ['table.copy', '(table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))'],
    ['table.init', '(table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1))'],
    ['elem.drop', '(elem.drop $e)'],
    ['data.drop', '(data.drop $d)'],
  ])('finds %s', async (_, instruction) => {
    expect(await scan(`(module ${PRELUDE} (elem $e func $id) (func (i32.const 0) (drop) ${instruction}))`)).toBe('changes');
  });

  it('answers unknown for an instruction it cannot read (GC)', async () => {
    expect(await scan('(module (func (drop (ref.i31 (i32.const 1)))))')).toBe('unknown');
  });

  it('finds nothing in a module with no code', async () => {
    expect(await scan('(module (memory 1))')).toBe('none');
  });
});
