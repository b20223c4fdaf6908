// The in-thread twin of a layers model (src/in-thread.ts), opened here as a guest's worker opens it
// (the built module, with require), against the host graph's compute and the model called directly.
// guest.e2e.test.ts runs it in a real guest's worker.
import type { InThreadGraph, NamedTensor, OpenInThread } from '@wacs/core/backend';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, saveModel, tfjsBackend, type TfModule } from '../src/index.js';
import type { InThreadInit } from '../src/graph.js';
import { affineGraph, compute, f32, floats, loadPath } from './fixtures.js';

let tf: TfModule;
let dir: string;
let folder: string;
/** What the model computed for `x` before it was saved. */
let predicted: number[];
const x = [0.5, -1, 2, 3, 0.25, -0.75];

beforeAll(async () => {
  ({ tf } = await engine());
  dir = await mkdtemp(join(tmpdir(), 'wacs-tfjs-twin-'));
  folder = join(dir, 'mlp');
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 5, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), biasInitializer: 'ones' }),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
  await saveModel(model, folder);
  const output = model.predict(tf.tensor(x, [2, 3])) as ReturnType<TfModule['tensor']>;
  predicted = Array.from(await output.data());
  output.dispose();
  model.dispose();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function openTwin(module: string, init: unknown): InThreadGraph | undefined {
  return (createRequire(import.meta.url)(module) as { openInThread: OpenInThread }).openInThread(init);
}

function twinCompute(twin: InThreadGraph, inputs: NamedTensor[]): NamedTensor[] {
  const context = twin.createContext();
  try {
    return context.compute(inputs);
  } finally {
    context.dispose();
  }
}

describe("a layers model's twin", () => {
  it("is offered on the host's engine, and computes synchronously what the graph and the model compute", async () => {
    const graph = await loadPath(folder);
    const spec = graph.inThread();
    expect(spec).toBeDefined();
    expect(isAbsolute(spec!.module)).toBe(true);
    const init = spec!.init as InThreadInit;
    expect(init.engine).toBe((await engine()).active);
    expect(init.artifacts.weightData).toBeInstanceOf(Uint8Array);
    // 3·5 + 5 + 5·2 + 2 float32 weights.
    expect(init.artifacts.weightData.byteLength).toBe(32 * 4);

    const twin = openTwin(spec!.module, init)!;
    expect(twin).toBeDefined();
    const inputs = [{ name: '0', tensor: f32([2, 3], x) }];
    const fromTwin = twinCompute(twin, inputs);
    const fromHost = await compute(graph, inputs);
    expect(fromTwin.map((o) => [o.name, o.tensor.type, o.tensor.dimensions])).toEqual(fromHost.map((o) => [o.name, o.tensor.type, o.tensor.dimensions]));
    expect(floats(fromTwin[0]!.tensor)).toEqual(floats(fromHost[0]!.tensor));

    expect(floats(fromTwin[0]!.tensor)).toEqual(predicted);

    twin.dispose();
    twin.dispose();
    await graph.dispose();
  });

  it('gives the errors the graph gives', async () => {
    const graph = await loadPath(folder);
    const twin = openTwin(graph.inThread()!.module, graph.inThread()!.init)!;
    for (const inputs of [[], [{ name: '0', tensor: f32([1, 4], [1, 2, 3, 4]) }], [{ name: 'nope', tensor: f32([1, 3], [1, 2, 3]) }]]) {
      const hostError = await compute(graph, inputs).then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      expect(hostError?.code).toBe('invalid-argument');
      expect(() => twinCompute(twin, inputs)).toThrow(expect.objectContaining({ code: hostError!.code, message: hostError!.message }));
    }
    twin.dispose();
    await graph.dispose();
  });

  it('opens nowhere tfjs runs another engine, or none', async () => {
    const graph = await loadPath(folder);
    const spec = graph.inThread()!;
    const other = { ...(spec.init as InThreadInit), engine: (spec.init as InThreadInit).engine === 'cpu' ? 'wasm' : 'cpu' };
    expect(openTwin(spec.module, other)).toBeUndefined();
    await graph.dispose();
  });

  it('is not offered with in_thread=false, nor for graph models', async () => {
    const off = await loadPath(folder, { in_thread: false } as never);
    expect(off.inThread()).toBeUndefined();
    await off.dispose();
    const graphModel = await loadPath(await affineGraph(join(dir, 'affine')));
    expect(graphModel.inThread()).toBeUndefined();
    await graphModel.dispose();
  });
});

describe('preparing a guest worker for twins', () => {
  it('asks the worker to start the engine the model names (or auto), not where in_thread=false', () => {
    const spec = tfjsBackend.inThreadPreparation!({});
    expect(spec && isAbsolute(spec.module)).toBe(true);
    expect(spec!.init).toEqual({});
    expect(tfjsBackend.inThreadPreparation!({ engine: 'cpu' })!.init).toEqual({ engine: 'cpu' });
    expect(tfjsBackend.inThreadPreparation!({ engine: 'wasm', in_thread: false })).toBeUndefined();
    expect(() => tfjsBackend.inThreadPreparation!({ engin: 'wasm' })).toThrow(/unknown option "engin"/);
  });
});
