// In-thread compute through the component front end: a graph whose backend offers a twin
// computes on it with no bridge round trip; errors reach the guest as wasi:nn errors; the twin goes
// with the last handle; and a graph with no twin computes through the host.
import { describe, expect, it } from 'vitest';
import { componentNnImports } from '../src/abi/component.js';
import type { BridgeClient } from '../src/bridge/channel.js';
import type { InThreadGraph, NamedTensor } from '../src/index.js';

function setup(offer: boolean, opens = true) {
  const calls: string[] = [];
  const disposed: string[] = [];
  let next = 0;
  const bridge = {
    call: (op: string) => {
      calls.push(op);
      if (op === 'inThread') return offer ? { spec: { module: 'twin', init: 3 }, limits: { maxBytes: 8, maxRank: 4 } } : null;
      if (op === 'compute') return [];
      return next++;
    },
  } as unknown as BridgeClient;
  const twin = (factor: number): InThreadGraph => ({
    createContext: () => ({
      compute: (inputs: NamedTensor[]) => inputs.map(({ name, tensor }) => ({ name: `${name}*${factor}`, tensor: { ...tensor, data: tensor.data.map((b) => b * factor) } })),
      dispose: () => disposed.push('context'),
    }),
    dispose: () => disposed.push('graph'),
  });
  const logged: string[] = [];
  const imports = componentNnImports(bridge, { openInThread: (spec) => (opens ? twin(spec.init as number) : undefined), log: (line) => logged.push(line) });
  const { loadByName } = imports['wasi:nn/graph'] as { loadByName: (name: string) => { initExecutionContext(): Record<string | symbol, (...a: unknown[]) => unknown>; [k: symbol]: () => void } };
  const { Tensor } = imports['wasi:nn/tensor'] as { Tensor: new (dims: Uint32Array, type: string, data: Uint8Array) => { data(): Uint8Array } };
  return { calls, disposed, logged, loadByName, Tensor };
}

/** Drops a resource as jco's bindings do, by its dispose symbol. */
function drop(resource: object): void {
  const methods = resource as Record<symbol, (() => void) | undefined>;
  const dispose = methods[(Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose')] ?? methods[Symbol.for('dispose')];
  if (!dispose) throw new Error('the resource has no dispose method');
  dispose.call(resource);
}

describe('componentNnImports with an in-thread twin', () => {
  it("computes on the twin from the graph's second compute, applies the host's limits, and releases the twin with the last handle", () => {
    const { calls, disposed, loadByName, Tensor } = setup(true);
    const graph = loadByName('m');
    const context = graph.initExecutionContext();
    // The first compute goes through the host: a guest that computes once never opens the twin.
    expect(context.compute!([['x', new Tensor(Uint32Array.of(2), 'U8', Uint8Array.of(1, 2))]])).toEqual([]);
    expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute']);
    const out = context.compute!([['x', new Tensor(Uint32Array.of(2), 'U8', Uint8Array.of(1, 2))]]) as Array<[string, { data(): Uint8Array }]>;
    expect(out.map(([name, t]) => [name, Array.from(t.data())])).toEqual([['x*3', [3, 6]]]);
    let error: { payload?: { code(): string; data(): string } } = {};
    try {
      context.compute!([['x', new Tensor(Uint32Array.of(9), 'U8', new Uint8Array(9))]]);
    } catch (e) {
      error = e as typeof error;
    }
    expect([error.payload?.code(), error.payload?.data()]).toEqual(['too-large', expect.stringMatching(/9 bytes/)]);
    expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute']);
    drop(graph);
    expect(disposed).toEqual([]);
    drop(context);
    expect(disposed).toEqual(['context', 'graph']);
    expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute', 'dropGraph', 'dropContext']);
  });

  it('computes through the host when the backend offers no twin', () => {
    const { calls, loadByName, Tensor } = setup(false);
    const context = loadByName('m').initExecutionContext();
    context.compute!([['x', new Tensor(Uint32Array.of(1), 'U8', Uint8Array.of(1))]]);
    expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute']);
  });

  it('computes through the host, quietly, when the opener gives no twin in this thread', () => {
    const { calls, logged, loadByName, Tensor } = setup(true, false);
    const graph = loadByName('m');
    for (let i = 0; i < 2; i++) graph.initExecutionContext().compute!([['x', new Tensor(Uint32Array.of(1), 'U8', Uint8Array.of(1))]]);
    // The offer is asked for once per graph, the twin tried at the second compute, and nothing is reported.
    expect(calls).toEqual(['loadByName', 'initContext', 'inThread', 'compute', 'initContext', 'compute']);
    expect(logged).toEqual([]);
  });
});
