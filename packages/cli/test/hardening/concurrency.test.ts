// Sixteen component guests at once in one process, sharing one NnHost and one model loaded by
// name: each must get its own results. The oracle is onnxruntime-node running the same model
// file directly, input by input.
import { BackendRegistry, defaultCacheDir, ModelRegistry, NnHost, prepareComponent, runGuest, type Backend, type Graph } from '@wacs/core';
import { guest } from '@wacs/fixtures';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { counted, importBackend, linear, linearModelDir } from './helpers.js';

const GUESTS = 16;
const COMPUTES = 20;

/** The inputs fuzz-misuse's `series:x:<n>:<base>` step computes on: x_i = [base+i, base-2i, i/4]. */
function series(base: number): number[][] {
  return Array.from({ length: COMPUTES }, (_, i) => [base + i, base - 2 * i, i / 4]);
}

/**
 * Holds every createContext until all guests have asked for one, so the sixteen runs overlap for
 * certain (on two cores a fast guest could otherwise finish before a slow one starts), and counts
 * the computes in flight at once.
 */
function barrier(inner: Backend, parties: number): { backend: Backend; maxInFlight: () => number } {
  let waiting = 0;
  let release!: () => void;
  const allHere = new Promise<void>((resolve) => (release = resolve));
  let inFlight = 0;
  let maxInFlight = 0;
  const backend: Backend = {
    ...inner,
    async load(request) {
      const graph = await inner.load(request);
      const held: Graph = {
        async createContext() {
          if (++waiting === parties) release();
          await allHere;
          const context = await graph.createContext();
          return {
            async compute(inputs) {
              maxInFlight = Math.max(maxInFlight, ++inFlight);
              try {
                return await context.compute(inputs);
              } finally {
                inFlight--;
              }
            },
            dispose: () => context.dispose(),
          };
        },
        dispose: () => graph.dispose(),
      };
      return held;
    },
  };
  return { backend, maxInFlight: () => maxInFlight };
}

describe(`${GUESTS} guests at once on one host`, () => {
  it('share one loaded model, and each gets its own results, equal to onnxruntime run directly on its inputs', async () => {
    const { model } = linearModelDir('wacs-concurrency-');
    const { backend: countedOnnx, census } = counted(await importBackend('onnx'));
    const { backend, maxInFlight } = barrier(countedOnnx, GUESTS);
    const registry = new BackendRegistry();
    registry.register(backend);
    const models = new ModelRegistry();
    models.add('lin', { path: model });
    const host = new NnHost(registry, models);
    const wasm = new Uint8Array(readFileSync(guest('fuzz-misuse')));
    // Transpile once first: sixteen cold-cache runs would each transpile the 12 MB component.
    await prepareComponent(wasm, defaultCacheDir());

    const runs = Array.from({ length: GUESTS }, (_, g) => {
      const out = mkdtempSync(join(tmpdir(), `wacs-guest-${g}-`));
      const base = 100 * g - 700; // different inputs for every guest
      const result = runGuest(wasm, host, {
        args: ['quiet', 'out:/out/results.txt', 'name:lin', 'ctx', `series:x:${COMPUTES}:${base}`],
        dirs: [{ host: out, guest: '/out' }],
        timeoutMs: 100_000,
      });
      return { out, base, result };
    });
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results).toEqual(Array(GUESTS).fill({ exitCode: 0 }));

    // The oracle: the engine itself, on the same model file.
    const { default: engine } = await import('onnxruntime-node');
    const session = await engine.InferenceSession.create(model);
    for (const { out, base } of runs) {
      const printed = readFileSync(join(out, 'results.txt'), 'utf8').split('\n').filter((l) => l.startsWith('y '));
      const expected: string[] = [];
      for (const [i, x] of series(base).entries()) {
        const { y } = await session.run({ x: new engine.Tensor('float32', Float32Array.from(x), [1, 3]) });
        expected.push(`y ${i} ${Array.from(y!.data as Float32Array).join(',')}`);
      }
      expect({ base, printed }).toEqual({ base, printed: expected });
      // And by hand: the same numbers, so the oracle itself is checked.
      expect(printed.map((l) => l.split(' ')[2])).toEqual(series(base).map((x) => linear([x]).join(',')));
    }
    await session.release();

    // One model load served all sixteen; sixteen contexts were live at once, computes overlapped.
    expect(census.loads).toHaveLength(1);
    expect(maxInFlight()).toBeGreaterThan(1);
    expect(census.liveContexts).toBe(0);
    await host.dispose();
    expect(census.liveGraphs).toBe(0);
  });
});
