// The host half of compute_single (StreamSteps: batching and steps in flight) and the packed form
// steps travel in, against a scripted in-test backend stream; and the witx import functions called
// directly on a real WebAssembly.Memory with a recording bridge.
import { describe, expect, it } from 'vitest';
import { preview1NnImports } from '../src/abi/preview1/imports.js';
import { WITX_ERRNO } from '../src/abi/preview1/errno.js';
import { StreamSteps } from '../src/bridge/stream-steps.js';
import { packSteps, unpackSteps } from '../src/bridge/stream-wire.js';
import type { BridgeClient } from '../src/bridge/channel.js';
import { BackendRegistry, ModelRegistry, NnError, NnHost, TENSOR_TYPES, textTensor, type Backend, type NamedTensor } from '../src/index.js';

describe('packSteps / unpackSteps', () => {
  it('round-trips steps of every tensor type, odd names and the end of the sequence', () => {
    const steps: Array<NamedTensor[] | null> = [
      TENSOR_TYPES.map((type, i) => ({ name: `out ${i} ✓`, tensor: { type, dimensions: [2, i], data: Uint8Array.from({ length: 3 * i }, (_, k) => k) } })),
      [{ name: '0', tensor: textTensor(' once') }],
      [],
      null,
    ];
    const packed = packSteps(steps);
    expect(unpackSteps(packed)).toEqual(steps);
    // u32 count; step: u32 outputs; output: u16 name len, "0", u8 type, u8 rank, u32 dim, u32 data len, data
    expect(packSteps([[{ name: '0', tensor: textTensor('ab') }], null])).toEqual(
      Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0x30, 4, 1, 2, 0, 0, 0, 2, 0, 0, 0, 0x61, 0x62, 0xff, 0xff, 0xff, 0xff),
    );
  });
});

/** A backend whose stream yields the given words, failing at "boom"; `gate` holds a word back until released. */
function scriptedHost(words: string[], gate?: { word: string; open: Promise<void> }) {
  let generated = 0;
  const backend: Backend = {
    name: 'scripted',
    encodings: ['ggml'],
    async load() {
      return {
        createContext: () => ({
          compute: async () => [],
          async *stream() {
            for (const word of words) {
              if (word === gate?.word) await gate.open;
              if (word === 'boom') throw new NnError('runtime-error', 'the context is full', 'context-full');
              generated++;
              yield [{ name: '0', tensor: textTensor(word) }];
            }
            return [];
          },
          dispose() {},
        }),
        dispose() {},
      };
    },
  };
  const registry = new BackendRegistry();
  registry.register(backend);
  const models = new ModelRegistry();
  models.add('m', { path: new URL(import.meta.url).pathname, encoding: 'ggml' });
  return { host: new NnHost(registry, models, { log: () => {} }), generated: () => generated };
}

const texts = (steps: Array<NamedTensor[] | null>) => steps.map((s) => (s ? new TextDecoder().decode(s[0]!.tensor.data) : null));

describe('StreamSteps', () => {
  it('brings every ready step in one call, up to the limit, then the end of the sequence', async () => {
    const { host } = scriptedHost(['a', 'b', 'c', 'd', 'e']);
    const session = host.session();
    const context = await session.initContext(await session.loadByName('m'));
    const steps = new StreamSteps(session);
    expect(texts(await steps.next(context, [], 3))).toEqual(['a', 'b', 'c']);
    expect(texts(await steps.next(context, [], 64))).toEqual(['d', 'e', null]);
    expect(texts(await steps.next(context, [], 64))).toEqual([null]);
  });

  it('replies with what is ready when the next step is late, and keeps that step for the next call', async () => {
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    const { host } = scriptedHost(['a', 'b', 'late', 'z'], { word: 'late', open });
    const session = host.session();
    const context = await session.initContext(await session.loadByName('m'));
    const steps = new StreamSteps(session);
    expect(texts(await steps.next(context, [], 64))).toEqual(['a', 'b']);
    release();
    expect(texts(await steps.next(context, [], 64))).toEqual(['late', 'z', null]);
  });

  it('delivers a failing step after the steps before it, to the call that asks for it', async () => {
    const { host } = scriptedHost(['a', 'b', 'boom', 'never']);
    const session = host.session();
    const context = await session.initContext(await session.loadByName('m'));
    const steps = new StreamSteps(session);
    expect(texts(await steps.next(context, [], 64))).toEqual(['a', 'b']);
    await expect(steps.next(context, [], 64)).rejects.toMatchObject({ reason: 'context-full' });
  });

  it('settle lets the step in flight finish before the stream ends; at most one step is made ahead', async () => {
    const { host, generated } = scriptedHost(['a', 'b', 'c', 'd', 'e', 'f']);
    const session = host.session();
    const context = await session.initContext(await session.loadByName('m'));
    const steps = new StreamSteps(session);
    expect(texts(await steps.next(context, [], 2))).toEqual(['a', 'b']);
    await steps.settle(context);
    await session.streamEnd(context);
    expect(generated()).toBe(3); // a, b, and c asked for ahead
  });
});

describe('preview1NnImports: input bytes held for the guest', () => {
  /** A guest memory with a 1 MiB U8 tensor record at 0 (dims at 64, data at 1024), and a bridge that records calls. */
  function setup(maxHeldBytes?: number) {
    const memory = new WebAssembly.Memory({ initial: 32 });
    const view = new DataView(memory.buffer);
    const MiB = 2 ** 20;
    [64, 1, 3, 1024, MiB].forEach((v, i) => view.setUint32(i * 4, v, true)); // dims ptr, dims len, type U8, data ptr, data len
    view.setUint32(64, MiB, true);
    const calls: string[] = [];
    let next = 0;
    const bridge = { call: (op: string) => (calls.push(op), next++) } as unknown as BridgeClient;
    const nn = preview1NnImports(bridge, () => memory, { log: () => {}, maxHeldBytes });
    nn.load_by_name(0, 0, 2000);
    nn.init_execution_context(0, 2000);
    return { nn, context: view.getUint32(2000, true), view, calls };
  }

  it('refuses a set_input past the cap with too_large, counts a replaced index once, and frees a finalized context', () => {
    const { nn, context, view, calls } = setup(3 * 2 ** 20);
    expect([0, 1, 2].map((i) => nn.set_input(context, i, 0))).toEqual([0, 0, 0]);
    expect(nn.set_input(context, 3, 0)).toBe(WITX_ERRNO.too_large);
    expect(nn.set_input(context, 1, 0)).toBe(WITX_ERRNO.success); // replaces input 1: still 3 MiB held
    expect(nn.finalize_execution_context(context)).toBe(WITX_ERRNO.success);
    nn.init_execution_context(0, 2000);
    const fresh = view.getUint32(2000, true);
    expect([0, 1, 2].map((i) => nn.set_input(fresh, i, 0))).toEqual([0, 0, 0]);
    // set_input never reaches the host: inputs stay in the worker until compute.
    expect(calls).toEqual(['loadByName', 'initContext', 'dropContext', 'initContext']);
  });

  it('holds any amount without a cap', () => {
    const { nn, context } = setup();
    expect(Array.from({ length: 8 }, (_, i) => nn.set_input(context, i, 0))).toEqual(Array(8).fill(0));
  });
});

describe('preview1NnImports: computes in the guest thread (Graph.inThread)', () => {
  const F32 = 1; // witx tensor type
  /**
   * Guest memory with an F32 [2] tensor record at 0 (dims at 64, data at 1024 = [1, 2]); a bridge
   * that offers an in-thread twin for graph 0 unless `offer` is false; and a twin whose compute
   * doubles input 0, recording what it saw.
   */
  function setup(options: { offer?: boolean; borrowInputs?: boolean; maxBytes?: number; failOpen?: boolean; warm?: boolean } = {}) {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const view = new DataView(memory.buffer);
    [64, 1, F32, 1024, 8].forEach((v, i) => view.setUint32(i * 4, v, true));
    view.setUint32(64, 2, true);
    const data = new Float32Array(memory.buffer, 1024, 2);
    data.set([1, 2]);
    const calls: string[] = [];
    const seen: Uint8Array[] = [];
    const disposed: string[] = [];
    let next = 0;
    const limits = { maxBytes: options.maxBytes ?? 1024, maxRank: 4 };
    const bridge = {
      call: (op: string) => {
        calls.push(op);
        if (op === 'inThread') return options.offer === false ? null : { spec: { module: 'twin', init: { factor: 2 } }, limits };
        if (op === 'compute') return [];
        return next++;
      },
    } as unknown as BridgeClient;
    const logs: string[] = [];
    let opened = 0;
    const nn = preview1NnImports(bridge, () => memory, {
      log: (line) => logs.push(line),
      borrowInputs: options.borrowInputs,
      openInThread: (spec) => {
        opened++;
        if (options.failOpen) throw new Error('no native binding');
        const factor = (spec.init as { factor: number }).factor;
        return {
          createContext: () => ({
            compute: (inputs) => {
              const input = inputs[0]!.tensor;
              seen.push(input.data);
              const values = new Float32Array(input.data.slice().buffer).map((v) => v * factor);
              return [{ name: 'y', tensor: { type: 'FP32', dimensions: input.dimensions, data: new Uint8Array(values.buffer) } }];
            },
            dispose: () => disposed.push('context'),
          }),
          dispose: () => disposed.push('graph'),
        };
      },
    });
    nn.load_by_name(0, 0, 2000);
    nn.init_execution_context(0, 2000);
    const context = view.getUint32(2000, true);
    /** get_output 0 into the guest at 4096, as numbers. */
    const output = () => {
      expect(nn.get_output(context, 0, 4096, 64, 2004)).toBe(WITX_ERRNO.success);
      return Array.from(new Float32Array(memory.buffer, 4096, view.getUint32(2004, true) / 4));
    };
    if (options.warm !== false) {
      // A graph's first compute goes through the host; the twin opens at the second.
      expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.success);
      expect(nn.compute(context)).toBe(WITX_ERRNO.success);
    }
    return { nn, memory, context, data, calls, seen, disposed, logs, output, opened: () => opened };
  }

  it("computes a graph's first compute through the host and opens the twin at its second (a one-shot guest never opens it)", () => {
    const { nn, context, memory, calls, seen, opened, output } = setup({ warm: false });
    expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.success);
    expect(nn.compute(context)).toBe(WITX_ERRNO.success);
    expect([opened(), seen.length]).toEqual([0, 0]);
    expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute']);
    expect(nn.compute(context)).toBe(WITX_ERRNO.success);
    expect([opened(), seen.length]).toEqual([1, 1]);
    expect(output()).toEqual([2, 4]);
    // A second context on the same graph computes on the twin at once.
    expect(nn.init_execution_context(0, 2008)).toBe(WITX_ERRNO.success);
    const second = new DataView(memory.buffer).getUint32(2008, true);
    expect(nn.set_input(second, 0, 0)).toBe(WITX_ERRNO.success);
    expect(nn.compute(second)).toBe(WITX_ERRNO.success);
    expect([opened(), seen.length]).toEqual([1, 2]);
    expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute', 'initContext']);
  });

  it('computes without a round trip, reusing the input buffer, and releases the twin with the last handle', () => {
    const { nn, context, data, memory, calls, seen, disposed, output } = setup();
    expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.success);
    expect(nn.compute(context)).toBe(WITX_ERRNO.success);
    expect(output()).toEqual([2, 4]);
    data.set([5, 6]); // a copy: the guest may change its bytes after set_input
    expect(nn.compute(context)).toBe(WITX_ERRNO.success);
    expect(output()).toEqual([2, 4]);
    expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.success);
    expect(nn.compute(context)).toBe(WITX_ERRNO.success);
    expect(output()).toEqual([10, 12]);
    expect(seen[2]!.buffer).toBe(seen[0]!.buffer); // the same buffer took the new bytes
    expect(seen[0]!.buffer).not.toBe(memory.buffer);
    expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute']);
    expect(nn.unload(0)).toBe(WITX_ERRNO.success);
    expect(disposed).toEqual([]); // a context still uses the twin
    expect(nn.finalize_execution_context(context)).toBe(WITX_ERRNO.success);
    expect(disposed).toEqual(['context', 'graph']);
  });

  it('a refused set_input leaves the input set before intact (its buffer is reused only once checked)', () => {
    const { nn, context, data, memory, output } = setup();
    expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.success);
    data.set([7, 8]);
    new DataView(memory.buffer).setUint32(64, 3, true); // dimensions [3]: 12 bytes wanted, 8 given
    expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.invalid_argument);
    expect(nn.compute(context)).toBe(WITX_ERRNO.success);
    expect(output()).toEqual([2, 4]);
  });

  it('with borrowInputs reads the bytes where they lie when compute runs', () => {
    const { nn, context, data, memory, seen, output } = setup({ borrowInputs: true });
    expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.success);
    data.set([5, 6]);
    expect(nn.compute(context)).toBe(WITX_ERRNO.success);
    expect(output()).toEqual([10, 12]);
    expect(seen[0]!.buffer).toBe(memory.buffer);
    expect(seen[0]!.byteOffset).toBe(1024);
  });

  it("applies the host's tensor limits in the thread", () => {
    const { nn, context, logs } = setup({ maxBytes: 4 });
    expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.success);
    expect(nn.compute(context)).toBe(WITX_ERRNO.too_large);
    expect(logs.join('\n')).toMatch(/8 bytes/);
  });

  it('computes through the host when the backend offers no twin, or the twin does not open (saying why)', () => {
    for (const options of [{ offer: false }, { failOpen: true }]) {
      const { nn, context, calls, logs } = setup(options);
      expect(nn.set_input(context, 0, 0)).toBe(WITX_ERRNO.success);
      expect(nn.compute(context)).toBe(WITX_ERRNO.success);
      expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute', 'compute']);
      expect(logs.join('\n')).toMatch(options.failOpen ? /computes on the host thread: .*no native binding/ : /^$/);
    }
  });
});
