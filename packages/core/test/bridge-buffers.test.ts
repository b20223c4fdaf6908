// Large input buffers the host hands back (BufferPool): reused by size, and a preview1 set_input
// that copies into a recycled buffer sends the guest's bytes, not what the buffer held before.
import { describe, expect, it } from 'vitest';
import { preview1NnImports } from '../src/abi/preview1/imports.js';
import { BRIDGE_ARENA_BYTES, BufferPool, type BridgeClient } from '../src/bridge/channel.js';
import type { NamedTensor } from '../src/tensor.js';

describe('BufferPool', () => {
  it('gives back a returned buffer of the size asked for, and a new one otherwise', () => {
    const pool = new BufferPool(2);
    const returned = new ArrayBuffer(64);
    pool.give([returned, new ArrayBuffer(0)]);
    expect(pool.take(32).buffer).not.toBe(returned);
    expect(pool.take(64).buffer).toBe(returned);
    expect(pool.take(64).buffer).not.toBe(returned); // taken once only
  });

  it('keeps only the most recent buffers', () => {
    const pool = new BufferPool(2);
    const [a, b, c] = [new ArrayBuffer(8), new ArrayBuffer(8), new ArrayBuffer(8)];
    pool.give([a]);
    pool.give([b, c]);
    const taken = [pool.take(8).buffer, pool.take(8).buffer, pool.take(8).buffer];
    expect(taken).toContain(b);
    expect(taken).toContain(c);
    expect(taken).not.toContain(a);
  });
});

describe('preview1 set_input of a large input for the host thread', () => {
  it('copies the guest bytes into a recycled buffer and sends those to compute', () => {
    const size = BRIDGE_ARENA_BYTES + 4096;
    const memory = new WebAssembly.Memory({ initial: 64 });
    const view = new DataView(memory.buffer);
    [64, 1, 3, 4096, size].forEach((v, i) => view.setUint32(i * 4, v, true)); // dims ptr, dims len, type U8, data ptr, data len
    view.setUint32(64, size, true);
    const guestBytes = new Uint8Array(memory.buffer, 4096, size);
    guestBytes.forEach((_, i) => (guestBytes[i] = (i * 31) % 251));

    const recycled = new Uint8Array(size).fill(0xee); // what an earlier input left in it
    const buffers = new BufferPool();
    buffers.give([recycled.buffer]);
    const sent: NamedTensor[][] = [];
    let next = 0;
    const bridge = {
      buffers,
      call: (op: string, args: unknown[]) => {
        if (op === 'compute') sent.push(args[1] as NamedTensor[]);
        if (op === 'inThread') return null;
        return op === 'compute' ? [] : next++;
      },
    } as unknown as BridgeClient;
    const nn = preview1NnImports(bridge, () => memory, { log: () => {} });
    nn.load_by_name(0, 0, 2000);
    nn.init_execution_context(0, 2000);
    const context = view.getUint32(2000, true);
    expect(nn.set_input(context, 0, 0)).toBe(0);
    guestBytes.fill(0); // the guest may change its memory after set_input
    expect(nn.compute(context)).toBe(0);
    const data = sent[0]![0]!.tensor.data;
    expect(data.buffer).toBe(recycled.buffer);
    expect(data.byteLength).toBe(size);
    expect(data.every((b, i) => b === (i * 31) % 251)).toBe(true);
  });
});
