import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { capModuleMemory, wasmKind } from '../src/index.js';
import { exportMutableGlobalsInPlace, GUEST_MEMORY_IMPORT, guestMemoryImport, MUTABLE_GLOBAL_EXPORT, patchModuleMemory, patchModuleMemoryInPlace } from '../src/runner/wasm-binary.js';

const PAGE = 65536;

async function growTo(wat: string, cap: number, imports: WebAssembly.Imports = {}): Promise<number[]> {
  const bytes = capModuleMemory(await parse(wat), cap * PAGE);
  const { instance } = (await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, imports)) as unknown as { instance: WebAssembly.Instance };
  const grow = instance.exports.grow as (n: number) => number;
  return [grow(1), grow(1), grow(1), grow(1)];
}

const GROW = '(func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))';

describe('capModuleMemory', () => {
  it('caps a defined memory without a maximum (the engine refuses the grow past the cap)', async () => {
    expect(await growTo(`(module (memory 1) ${GROW})`, 3)).toEqual([1, 2, -1, -1]);
  });
  it('lowers a larger maximum and keeps a smaller one', async () => {
    expect(await growTo(`(module (memory 1 100) ${GROW})`, 2)).toEqual([1, -1, -1, -1]);
    expect(await growTo(`(module (memory 1 2) ${GROW})`, 50)).toEqual([1, -1, -1, -1]);
  });
  it('caps an imported memory too', async () => {
    const wat = `(module (import "env" "mem" (memory 1)) (import "env" "f" (func)) ${GROW})`;
    const bytes = capModuleMemory(await parse(wat), 2 * PAGE);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
    expect(imports.map((i) => i.kind)).toEqual(['memory', 'function']);
    // A memory larger than the cap no longer satisfies the import.
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { mem: new WebAssembly.Memory({ initial: 1, maximum: 10 }), f() {} } })).toThrow();
  });
  it('refuses a module that needs more than the cap to start', async () => {
    expect(() => capModuleMemory(new Uint8Array(), 0)).toThrow();
    await expect(parse('(module (memory 10))').then((b) => capModuleMemory(b, 2 * PAGE))).rejects.toThrow(/needs at least 0.625 MiB/);
  });
});

describe('patchModuleMemory: shared memories', () => {
  const sharedGrow = async (wat: string, patch: Parameters<typeof patchModuleMemory>[1]) => {
    const module = new WebAssembly.Module(patchModuleMemory(await parse(wat), patch) as Uint8Array<ArrayBuffer>);
    const memory = WebAssembly.Module.exports(module).find((e) => e.kind === 'memory');
    const { exports } = new WebAssembly.Instance(module);
    return { memory: memory && (exports[memory.name] as WebAssembly.Memory), grow: exports.grow as (n: number) => number };
  };

  it('declares a defined memory shared, with a 4 GiB maximum where it had none', async () => {
    const { memory, grow } = await sharedGrow(`(module (memory (export "mem") 1) ${GROW})`, { shared: true });
    expect(memory!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([grow(1), grow(2)]).toEqual([1, 2]);
    expect(memory!.buffer.byteLength).toBe(4 * PAGE);
  });

  it('shares and caps together, as --max-memory does for components', async () => {
    const { memory, grow } = await sharedGrow(`(module (memory (export "mem") 1 100) ${GROW})`, { shared: true, maxBytes: 2 * PAGE });
    expect(memory!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([grow(1), grow(1)]).toEqual([1, -1]);
  });

  it('declares an imported memory shared, so a shared memory satisfies it and an unshared one does not', async () => {
    const bytes = patchModuleMemory(await parse(`(module (import "env" "mem" (memory 1)) ${GROW})`), { shared: true }) as Uint8Array<ArrayBuffer>;
    const module = new WebAssembly.Module(bytes);
    expect(() => new WebAssembly.Instance(module, { env: { mem: new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) } })).not.toThrow();
    expect(() => new WebAssembly.Instance(module, { env: { mem: new WebAssembly.Memory({ initial: 1 }) } })).toThrow();
  });

  it('patches in place, with room before the module, the same bytes as a copy; without room it copies', async () => {
    const wat = `(module (import "env" "f" (func)) (memory (export "mem") 1) ${GROW} (data (i32.const 0) "hello"))`;
    const module = await parse(wat);
    const expected = patchModuleMemory(module, { shared: true, maxBytes: 8 * PAGE });
    const buffer = new Uint8Array(16 + module.length);
    buffer.set(module, 16);
    const patched = patchModuleMemoryInPlace(buffer, 16, { shared: true, maxBytes: 8 * PAGE });
    expect(patched.buffer).toBe(buffer.buffer);
    expect(Array.from(patched)).toEqual(Array.from(expected));
    const tight = patchModuleMemoryInPlace(Uint8Array.from(module), 0, { shared: true });
    expect(Array.from(tight)).toEqual(Array.from(patchModuleMemory(module, { shared: true })));
    expect(WebAssembly.validate(patched as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it('leaves a module unchanged when asked for nothing', async () => {
    const bytes = await parse('(module (memory 1))');
    expect(patchModuleMemory(bytes, {})).toBe(bytes);
  });
});

describe('patchModuleMemory: a defined memory moved into an import', () => {
  const READ = '(func (export "read") (param i32) (result i32) (i32.load8_u (local.get 0)))';
  const guestMemory = (memory: WebAssembly.Memory) => ({ [GUEST_MEMORY_IMPORT.module]: { [GUEST_MEMORY_IMPORT.name]: memory } });

  it('imports the memory it defined: the data segments land in the memory given, which the module exports', async () => {
    const wat = `(module (import "env" "f" (func)) (memory (export "mem") 2 9) ${READ} (data (i32.const 70000) "hi"))`;
    const bytes = patchModuleMemory(await parse(wat), { importMemory: true }) as Uint8Array<ArrayBuffer>;
    expect(guestMemoryImport(bytes)).toEqual({ initial: 2, maximum: 9, shared: false });
    const module = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(module).map((i) => `${i.module}/${i.name} ${i.kind}`)).toEqual(['env/f function', 'wacs:guest/memory memory']);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 9 });
    new Uint8Array(memory.buffer)[5] = 42;
    const { exports } = new WebAssembly.Instance(module, { env: { f() {} }, ...guestMemory(memory) });
    expect(exports.mem).toBe(memory);
    const read = exports.read as (at: number) => number;
    expect([read(70000), read(70001), read(5)]).toEqual([104, 105, 42]);
  });

  it('caps the moved memory, and gives a module without imports an import section', async () => {
    const bytes = patchModuleMemory(await parse(`(module (memory 1) ${READ} (data (i32.const 0) "x"))`), { importMemory: true, maxBytes: 3 * PAGE }) as Uint8Array<ArrayBuffer>;
    expect(guestMemoryImport(bytes)).toEqual({ initial: 1, maximum: 3, shared: false });
    const module = new WebAssembly.Module(bytes);
    expect(() => new WebAssembly.Instance(module, guestMemory(new WebAssembly.Memory({ initial: 1 })))).toThrow(); // no maximum: more than the cap
    const { exports } = new WebAssembly.Instance(module, guestMemory(new WebAssembly.Memory({ initial: 1, maximum: 3 })));
    expect((exports.read as (at: number) => number)(0)).toBe(120);
  });

  it('leaves a module that imports a memory, or defines none, as it was; patches in place as a copy does', async () => {
    const imports = await parse(`(module (import "env" "mem" (memory 1)) ${READ})`);
    expect(patchModuleMemory(imports, { importMemory: true })).toEqual(imports);
    expect(guestMemoryImport(imports)).toBeUndefined();
    const none = await parse('(module (func (export "f")))');
    expect(patchModuleMemory(none, { importMemory: true })).toEqual(none);
    const module = await parse(`(module (import "env" "f" (func)) (memory 1) ${READ} (data (i32.const 0) "hello"))`);
    const buffer = new Uint8Array(64 + module.length);
    buffer.set(module, 64);
    const patched = patchModuleMemoryInPlace(buffer, 64, { importMemory: true, maxBytes: 4 * PAGE });
    expect(Array.from(patched)).toEqual(Array.from(patchModuleMemory(module, { importMemory: true, maxBytes: 4 * PAGE })));
    expect(WebAssembly.validate(patched as Uint8Array<ArrayBuffer>)).toBe(true);
  });
});

describe('wasmKind', () => {
  it('tells modules, components and other files apart', async () => {
    expect(wasmKind(await parse('(module)'))).toBe('module');
    expect(wasmKind(Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0))).toBe('component');
    expect(() => wasmKind(new TextEncoder().encode('#!/bin/sh\necho hi'))).toThrow(/not a WebAssembly file/);
  });
});

describe('exportMutableGlobalsInPlace', () => {
  const GLOBALS = `(global $fixed i32 (i32.const 5)) (global $count (mut i32) (i32.const 0)) (global $wide (mut i64) (i64.const 9))
    (func (export "bump") (result i32) (global.set $count (i32.add (global.get $count) (i32.const 1))) (global.get $count))`;

  it('exports each mutable global the module defines, by its index, as a Global the host can read and set', async () => {
    const source = await parse(`(module (import "env" "base" (global i32)) ${GLOBALS})`);
    const buffer = new Uint8Array(1024 + source.length);
    buffer.set(source, 1024);
    const { module, exported } = exportMutableGlobalsInPlace(buffer, 1024);
    expect(exported).toBe(true);
    expect(module.buffer).toBe(buffer.buffer); // patched in the room before it
    const instance = new WebAssembly.Instance(new WebAssembly.Module(module as Uint8Array<ArrayBuffer>), { env: { base: 1 } });
    // Index 0 is the imported global; the immutable one (1) is not exported.
    expect(Object.keys(instance.exports).filter((n) => n.startsWith(MUTABLE_GLOBAL_EXPORT))).toEqual([`${MUTABLE_GLOBAL_EXPORT}2`, `${MUTABLE_GLOBAL_EXPORT}3`]);
    const count = instance.exports[`${MUTABLE_GLOBAL_EXPORT}2`] as WebAssembly.Global;
    const bump = instance.exports.bump as () => number;
    expect([bump(), bump(), count.value]).toEqual([1, 2, 2]);
    count.value = 0;
    expect(bump()).toBe(1);
    expect((instance.exports[`${MUTABLE_GLOBAL_EXPORT}3`] as WebAssembly.Global).value).toBe(9n);
  });

  it('adds an export section to a module that has none', async () => {
    const { module } = exportMutableGlobalsInPlace(await parse('(module (global (mut i32) (i32.const 7)) (func))'), 0);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(module as Uint8Array<ArrayBuffer>));
    expect((instance.exports[`${MUTABLE_GLOBAL_EXPORT}0`] as WebAssembly.Global).value).toBe(7);
  });

  it('says so of a module that imports a mutable global (state it does not own)', async () => {
    const source = await parse('(module (import "env" "g" (global (mut i32))) (func))');
    expect(exportMutableGlobalsInPlace(source, 0)).toEqual({ module: source, exported: false });
  });
});
