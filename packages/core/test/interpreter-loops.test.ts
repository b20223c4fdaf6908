import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { findInterpreterLoops, functionFingerprint, hintInterpreterLoopsInPlace, type KnownLoop } from '../src/runner/interpreter-loops.js';
import { codeSection, insertBeforeCodeInPlace } from '../src/runner/wasm-binary.js';

/**
 * A module with a small dispatch loop, `run`: it reads opcodes from memory until a 0 and adds 1
 * (opcode 1) or 10 (opcode 2, through a call) to its total. `imports` imported functions come
 * first, so every function index moves with them, as between guests built against different worlds.
 */
const dispatchModule = (imports: number, add = 'i32.add') => `(module
  ${Array.from({ length: imports }, (_, i) => `(import "env" "f${i}" (func))`).join(' ')}
  (memory (export "memory") 1)
  (func $ten (result i32) (i32.const 10))
  (func (export "run") (param $pc i32) (result i32) (local $total i32)
    (block $done
      (loop $next
        (block $two
          (block $one
            (block $end
              (br_table $end $one $two $end (i32.load8_u (local.get $pc))))
            (br $done))
          (local.set $total (${add} (local.get $total) (i32.const 1)))
          (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
          (br $next))
        (local.set $total (${add} (local.get $total) (call $ten)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next)))
    (local.get $total)))`;

/** The body of the function at `position` in the code section. */
function body(module: Uint8Array, position: number): Uint8Array {
  const code = codeSection(module)!;
  for (let i = 0; ; i++) {
    const size = code.bodies.u32();
    if (i === position) return module.subarray(code.bodies.pos, code.bodies.pos + size);
    code.bodies.skip(size);
  }
}

const RUN = 1; // `run` comes after `$ten` in the code section
const knownLoop = (module: Uint8Array): KnownLoop => ({ engine: 'the test loop', bodySize: body(module, RUN).length, fingerprint: functionFingerprint(body(module, RUN))! });

/** `module` at the end of a buffer with `room` bytes before it, as run.ts reads a guest's core module. */
function withRoom(module: Uint8Array, room: number): Uint8Array {
  const buffer = new Uint8Array(room + module.length);
  buffer.set(module, room);
  return buffer;
}

async function runProgram(module: Uint8Array, program: number[]): Promise<number> {
  const imports = Object.fromEntries(WebAssembly.Module.imports(new WebAssembly.Module(module as Uint8Array<ArrayBuffer>)).map((i) => [i.name, () => {}]));
  const { instance } = (await WebAssembly.instantiate(module as Uint8Array<ArrayBuffer>, { env: imports })) as unknown as { instance: WebAssembly.Instance };
  new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer).set(program);
  return (instance.exports.run as (pc: number) => number)(0);
}

/** The custom sections of a module, by name, with the id of the section after each. */
function customSections(module: Uint8Array): Array<{ name: string; body: Uint8Array; next: number | undefined }> {
  const found: Array<{ name: string; body: Uint8Array; next: number | undefined }> = [];
  let pos = 8;
  const u32 = () => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = module[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
    }
  };
  while (pos < module.length) {
    const id = module[pos++]!;
    const size = u32();
    const end = pos + size;
    if (id === 0) {
      const nameLength = u32();
      const name = new TextDecoder().decode(module.subarray(pos, pos + nameLength));
      found.push({ name, body: module.subarray(pos + nameLength, end), next: module[end] });
    }
    pos = end;
  }
  return found;
}

describe('functionFingerprint', () => {
  it('ignores indices: the same loop in a module with more imports (every call index moved) matches', async () => {
    const one = await parse(dispatchModule(1));
    const three = await parse(dispatchModule(3));
    expect(Buffer.from(body(one, RUN)).equals(Buffer.from(body(three, RUN)))).toBe(false);
    expect(functionFingerprint(body(one, RUN))).toBe(functionFingerprint(body(three, RUN)));
  });

  it('tells another opcode, and another function', async () => {
    const adds = await parse(dispatchModule(1));
    const subtracts = await parse(dispatchModule(1, 'i32.sub'));
    expect(functionFingerprint(body(adds, RUN))).not.toBe(functionFingerprint(body(subtracts, RUN)));
    expect(functionFingerprint(body(adds, 0))).not.toBe(functionFingerprint(body(adds, RUN)));
  });

  it('has none for a body with an instruction it does not decode (SIMD)', async () => {
    const simd = await parse('(module (func (drop (v128.const i32x4 0 0 0 0))))');
    expect(functionFingerprint(body(simd, 0))).toBeUndefined();
  });
});

describe('findInterpreterLoops', () => {
  it('finds a known loop by its shape wherever the module numbers it', async () => {
    const known = [knownLoop(await parse(dispatchModule(1)))];
    expect(findInterpreterLoops(await parse(dispatchModule(3)), known)).toEqual([RUN]);
    expect(findInterpreterLoops(await parse(dispatchModule(1, 'i32.sub')), known)).toEqual([]);
  });

  it('knows no loop in a module wacs did not see (the built-in list)', async () => {
    expect(findInterpreterLoops(await parse(dispatchModule(1)))).toEqual([]);
  });
});

describe('hintInterpreterLoopsInPlace', () => {
  it('adds V8 compilation hints before the code, in the room before the module, and the module computes as before', async () => {
    const module = await parse(dispatchModule(2));
    const buffer = withRoom(module, 1024);
    const hinted = hintInterpreterLoopsInPlace(buffer, 1024, [knownLoop(module)]);
    expect(hinted.buffer).toBe(buffer.buffer); // no copy
    const hints = customSections(hinted).find((s) => s.name === 'compilationHints');
    // One byte per function in the code section: `$ten` left to V8, `run` optimized up front.
    expect(hints && Array.from(hints.body)).toEqual([2, 0, 0b101010]);
    expect(hints!.next).toBe(10); // the code section follows
    const code = codeSection(module)!.start;
    expect(Buffer.from(hinted.subarray(hinted.length - (module.length - code))).equals(Buffer.from(module.subarray(code)))).toBe(true);
    expect(await runProgram(hinted, [1, 2, 1, 0])).toBe(12);
    expect(await runProgram(hinted, [1, 2, 1, 0])).toBe(await runProgram(module, [1, 2, 1, 0]));
  });

  it('V8 reads the section: a hint count that is not the function count fails the compile', async () => {
    const module = await parse(dispatchModule(0));
    const hinted = hintInterpreterLoopsInPlace(withRoom(module, 1024), 1024, [knownLoop(module)]);
    const hints = customSections(hinted).find((s) => s.name === 'compilationHints')!;
    hints.body[0] = 3;
    await expect(WebAssembly.compile(hinted as Uint8Array<ArrayBuffer>)).rejects.toThrow(/compilation hint/i);
  });

  it('copies the module when the room is short, and leaves a module without a known loop as it is', async () => {
    const module = await parse(dispatchModule(1));
    const buffer = withRoom(module, 4);
    const hinted = hintInterpreterLoopsInPlace(buffer, 4, [knownLoop(module)]);
    expect(hinted.buffer).not.toBe(buffer.buffer);
    expect(await runProgram(hinted, [2, 2, 0])).toBe(20);
    const plain = withRoom(module, 1024);
    expect(hintInterpreterLoopsInPlace(plain, 1024)).toEqual(plain.subarray(1024));
  });

  it('leaves a module it cannot read to V8, which refuses it with its own message', async () => {
    const module = await parse(dispatchModule(1));
    const known = [knownLoop(module)];
    const runBody = body(module, RUN);
    const truncated = module.subarray(0, runBody.byteOffset - module.byteOffset + 12); // cut inside `run`
    expect(findInterpreterLoops(truncated, known)).toEqual([]);
    const buffer = withRoom(truncated, 1024);
    const left = hintInterpreterLoopsInPlace(buffer, 1024, known);
    expect(left).toEqual(truncated);
    await expect(WebAssembly.compile(left as Uint8Array<ArrayBuffer>)).rejects.toThrow(WebAssembly.CompileError);
    // A body cut short has another fingerprint, or none (cut inside an instruction), rather than an error.
    expect(functionFingerprint(runBody.subarray(0, 9))).not.toBe(functionFingerprint(runBody));
    expect(functionFingerprint(Uint8Array.of(0, 0x41))).toBeUndefined(); // i32.const without its value
  });

  it('inserts nothing into a module without code', async () => {
    const module = await parse('(module (memory 1))');
    const buffer = withRoom(module, 64);
    expect(insertBeforeCodeInPlace(buffer, 64, Uint8Array.of(0, 2, 1, 0x61))).toEqual(module);
  });
});
