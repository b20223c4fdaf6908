import { describe, expect, it } from 'vitest';
import { BackendRegistry, ModelRegistry, NnHost, textTensor, type Backend, type ModelSpec, type NamedTensor } from '../src/index.js';

/** A file that exists, for models the tests register (its contents never matter). */
const here = new URL(import.meta.url).pathname;

/** A host with one backend and these models registered by name; its log lines are kept. */
function hostWith(backend: Backend, specs: Record<string, ModelSpec>): { host: NnHost; lines: string[] } {
  const registry = new BackendRegistry();
  registry.register(backend);
  const models = new ModelRegistry();
  for (const [name, spec] of Object.entries(specs)) models.add(name, spec);
  const lines: string[] = [];
  return { host: new NnHost(registry, models, { log: (l) => lines.push(l) }), lines };
}

/** A backend that echoes its inputs and records what happened to it. */
function recordingBackend() {
  const events: string[] = [];
  let graphs = 0;
  const backend: Backend = {
    name: 'echo',
    encodings: ['onnx'],
    async load(request) {
      const id = ++graphs;
      events.push(`load ${id} ${request.source.kind}`);
      return {
        createContext() {
          events.push(`context ${id}`);
          return {
            async compute(inputs: NamedTensor[]) {
              events.push(`compute ${id}`);
              return inputs.map(({ name, tensor }) => ({ name: `${name}-out`, tensor }));
            },
            dispose() {
              events.push(`dispose context ${id}`);
            },
          };
        },
        dispose() {
          events.push(`dispose graph ${id}`);
        },
      };
    },
  };
  return { backend, events };
}

function makeHost(backend: Backend) {
  const registry = new BackendRegistry();
  registry.register(backend);
  const models = new ModelRegistry();
  // The path must exist for probing; this test file will do.
  models.add('m', { path: new URL(import.meta.url).pathname, encoding: 'onnx' });
  return new NnHost(registry, models, { log: () => {} });
}

const onnxHead = Uint8Array.of(0x08, 0x08, 0x12, 0x00);

describe('NnHost and NnSession', () => {
  it('loads a named model once and shares it between guests', async () => {
    const { backend, events } = recordingBackend();
    const host = makeHost(backend);
    const a = host.session();
    const b = host.session();
    await Promise.all([a.loadByName('m'), b.loadByName('m'), a.loadByName('m')]);
    expect(events.filter((e) => e.startsWith('load'))).toEqual(['load 1 path']);
  });

  it("passes the host's concurrency to the backend when it loads a named model (not a guest's bytes)", async () => {
    const requests: Array<number | undefined> = [];
    const { backend } = recordingBackend();
    const load = backend.load.bind(backend);
    backend.load = (request) => (requests.push(request.concurrency), load(request));
    const registry = new BackendRegistry();
    registry.register(backend);
    const models = new ModelRegistry();
    models.add('m', { path: new URL(import.meta.url).pathname, encoding: 'onnx' });
    const session = new NnHost(registry, models, { log: () => {}, concurrency: 3 }).session();
    await session.loadByName('m');
    await session.load([onnxHead], 'onnx', 'cpu');
    expect(requests).toEqual([3, undefined]);
  });

  it('computes through a context and returns the backend outputs', async () => {
    const { backend } = recordingBackend();
    const session = makeHost(backend).session();
    const ctx = await session.initContext(await session.loadByName('m'));
    const out = await session.compute(ctx, [{ name: 'x', tensor: textTensor('hi') }]);
    expect(out.map((o) => o.name)).toEqual(['x-out']);
  });

  it('validates inputs in core before the backend sees them', async () => {
    const { backend, events } = recordingBackend();
    const session = makeHost(backend).session();
    const ctx = await session.initContext(await session.loadByName('m'));
    const bad = { name: 'x', tensor: { type: 'FP32' as const, dimensions: [2], data: new Uint8Array(7) } };
    await expect(session.compute(ctx, [bad])).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(events).not.toContain('compute 1');
  });

  it('rejects unknown handles and use after drop with invalid-argument', async () => {
    const { backend } = recordingBackend();
    const session = makeHost(backend).session();
    await expect(session.initContext(42)).rejects.toMatchObject({ code: 'invalid-argument', message: 'unknown graph handle 42' });
    await expect(session.compute(7, [])).rejects.toMatchObject({ code: 'invalid-argument' });
    const graph = await session.loadByName('m');
    const ctx = await session.initContext(graph);
    await session.dropContext(ctx);
    await expect(session.compute(ctx, [])).rejects.toMatchObject({ code: 'invalid-argument' });
    await session.dropGraph(graph);
    await expect(session.initContext(graph)).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('disposes a graph loaded from bytes once the guest dropped it and its last context', async () => {
    const { backend, events } = recordingBackend();
    const session = makeHost(backend).session();
    const graph = await session.load([onnxHead], 'onnx', 'cpu');
    const ctx = await session.initContext(graph);
    await session.dropGraph(graph);
    expect(events).not.toContain('dispose graph 1');
    await session.dropContext(ctx);
    expect(events).toContain('dispose graph 1');
  });

  it('releases everything a guest left behind when it ends, but keeps shared graphs', async () => {
    const { backend, events } = recordingBackend();
    const host = makeHost(backend);
    const session = host.session();
    await session.initContext(await session.load([onnxHead], 'onnx', 'cpu'));
    await session.initContext(await session.loadByName('m'));
    await session.close();
    expect(events).toEqual(expect.arrayContaining(['dispose context 1', 'dispose graph 1', 'dispose context 2']));
    expect(events).not.toContain('dispose graph 2');
    await host.dispose();
    expect(events).toContain('dispose graph 2');
  });

  it('says so when a backend cannot stream', async () => {
    const { backend } = recordingBackend();
    const session = makeHost(backend).session();
    const ctx = await session.initContext(await session.loadByName('m'));
    await expect(session.streamNext(ctx, [])).rejects.toMatchObject({ code: 'unsupported-operation' });
  });

  it('reports an unknown model name as not-found and lists the registered names', async () => {
    const { backend } = recordingBackend();
    const lines: string[] = [];
    const registry = new BackendRegistry();
    registry.register(backend);
    const models = new ModelRegistry();
    models.add('mnist', { path: '/nonexistent.onnx' });
    const host = new NnHost(registry, models, { log: (l) => lines.push(l) });
    await expect(host.session().loadByName('../../etc/passwd')).rejects.toMatchObject({ code: 'not-found' });
    expect(lines.join('\n')).toMatch(/registered: mnist/);
    await expect(host.session().loadByName('mnist')).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining('/nonexistent.onnx') });
  });
  it('starts each backend engine once for the models registered to it, skips models it cannot probe, and loads still work', async () => {
    const { backend, events } = recordingBackend();
    let starts = 0;
    backend.startEngine = async () => {
      starts += 1;
      throw new Error('the engine failed to start');
    };
    const { host, lines } = hostWith(backend, {
      a: { path: here, encoding: 'onnx' },
      b: { path: here, encoding: 'onnx' },
      missing: { path: '/nonexistent.onnx', encoding: 'onnx' },
    });
    await expect(host.startEngines()).resolves.toBeUndefined();
    expect(starts).toBe(1);
    expect(events).toEqual([]);
    expect(lines).toEqual([]);
    await host.session().loadByName('a');
    expect(events).toEqual(['load 1 path']);
  });

  it("lists what guests' workers prepare for twins: once per distinct module and init, from the models' options", async () => {
    const { backend } = recordingBackend();
    const asked: unknown[] = [];
    backend.inThreadPreparation = (options) => {
      asked.push(options);
      if (options.twin === false) return undefined;
      if (options.broken) throw new Error('unknown option "broken"');
      return { module: '/prepare.js', init: { engine: options.engine ?? null } };
    };
    const { host } = hostWith(backend, {
      a: { path: here, encoding: 'onnx' },
      b: { path: here, encoding: 'onnx' },
      c: { path: here, encoding: 'onnx', options: { engine: 'cpu' } },
      d: { path: here, encoding: 'onnx', options: { twin: false } },
      e: { path: here, encoding: 'onnx', options: { broken: true } },
      missing: { path: '/nonexistent.onnx', encoding: 'onnx' },
    });
    expect(await host.inThreadPreparations()).toEqual([
      { module: '/prepare.js', init: { engine: null } },
      { module: '/prepare.js', init: { engine: 'cpu' } },
    ]);
    // Asked as each model's probe ends, in no set order.
    expect(asked.map((options) => JSON.stringify(options)).sort()).toEqual(['{"broken":true}', '{"engine":"cpu"}', '{"twin":false}', '{}', '{}']);
  });
});
