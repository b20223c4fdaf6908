import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { capModuleMemory, wasmKind } from '../src/index.js';
import { patchModuleMemory, patchModuleMemoryInPlace } from '../src/runner/wasm-binary.js';

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

describe('wasmKind', () => {
  it('tells modules, components and other files apart', async () => {
    expect(wasmKind(await parse('(module)'))).toBe('module');
    expect(wasmKind(Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0))).toBe('component');
    expect(() => wasmKind(new TextEncoder().encode('#!/bin/sh\necho hi'))).toThrow(/not a WebAssembly file/);
  });
});
