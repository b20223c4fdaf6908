import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { InstanceMemory } from '../src/serve/instance-memory.js';
import { GUEST_MEMORY_IMPORT, guestMemoryImport, patchModuleMemory } from '../src/runner/wasm-binary.js';

const PAGE = 65536;
const limits = { initial: 2, maximum: 10, shared: false };

describe('InstanceMemory: a finished instance memory goes to the next instance, zeroed', () => {
  it('hands the finished memory on zeroed, and never the memory of an instance not over', () => {
    const memories = new InstanceMemory();
    const first = memories.take(limits);
    expect(first.buffer.byteLength).toBe(2 * PAGE);
    const bytes = new Uint8Array(first.buffer);
    bytes[0] = 7;
    bytes[2 * PAGE - 1] = 9;
    // No instanceOver: the first instance may still run, so its memory is not given again.
    const second = memories.take(limits);
    expect(second).not.toBe(first);
    memories.instanceOver();
    const third = memories.take(limits);
    expect(third).toBe(second);
    memories.instanceOver();
    new Uint8Array(third.buffer).fill(5);
    const fourth = memories.take(limits);
    expect(fourth).toBe(third);
    expect(new Uint8Array(fourth.buffer).every((b) => b === 0)).toBe(true);
  });

  it('makes a new memory after a memory has served 8 instances', () => {
    const memories = new InstanceMemory();
    const first = memories.take(limits);
    const taken = [first];
    for (let i = 0; i < 8; i++) {
      memories.instanceOver();
      taken.push(memories.take(limits));
    }
    expect(taken.slice(0, 8).every((m) => m === first)).toBe(true);
    expect(taken[8]).not.toBe(first);
  });

  it('leaves a memory that grew, or one of other limits, to the collector', () => {
    const memories = new InstanceMemory();
    const grown = memories.take(limits);
    grown.grow(1);
    memories.instanceOver();
    const fresh = memories.take(limits);
    expect(fresh).not.toBe(grown);
    expect(fresh.buffer.byteLength).toBe(2 * PAGE);
    memories.instanceOver();
    expect(memories.take({ ...limits, maximum: 20 })).not.toBe(fresh);
  });

  it('gives a module patched to import its memory the same start in a reused memory as in a new one', async () => {
    const wat = '(module (memory (export "memory") 2 10) (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))) (data (i32.const 100) "wacs"))';
    const bytes = patchModuleMemory(await parse(wat), { importMemory: true }) as Uint8Array<ArrayBuffer>;
    const module = new WebAssembly.Module(bytes);
    const moduleLimits = guestMemoryImport(bytes)!;
    const memories = new InstanceMemory();
    const instantiate = () => new WebAssembly.Instance(module, { [GUEST_MEMORY_IMPORT.module]: { [GUEST_MEMORY_IMPORT.name]: memories.take(moduleLimits) } });
    const first = instantiate();
    const used = new Uint8Array((first.exports.memory as WebAssembly.Memory).buffer);
    used.set([1, 2, 3], 100); // over the data segment
    used[5000] = 42; // past it, as a guest's heap would be
    memories.instanceOver();
    const second = instantiate();
    expect(second.exports.memory).toBe(first.exports.memory);
    const peek = second.exports.peek as (at: number) => number;
    expect([100, 101, 102, 103].map(peek)).toEqual([...'wacs'].map((c) => c.charCodeAt(0)));
    expect(peek(5000)).toBe(0);
  });
});
