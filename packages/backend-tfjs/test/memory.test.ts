// Every tensor a compute makes is disposed: 10,000 computes leave tf.memory() where one left it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, saveModel, type TfjsGraph, type TfModule } from '../src/index.js';
import { affineGraph, f32, i32, loadPath, whereGraph } from './fixtures.js';
import type { NamedTensor } from '@wacs/core/backend';

const COMPUTES = 10_000;
let tf: TfModule;
let dir: string;

beforeAll(async () => {
  ({ tf } = await engine());
  dir = await mkdtemp(join(tmpdir(), 'wacs-tfjs-memory-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function memoryAcross(graph: TfjsGraph, inputs: NamedTensor[]) {
  const context = graph.createContext();
  await context.compute(inputs); // warm-up: lets the engine make anything it keeps for good
  const before = tf.memory();
  for (let i = 0; i < COMPUTES; i++) await context.compute(inputs);
  const after = tf.memory();
  await context.dispose();
  return { before, after };
}

describe(`no tensor outlives a compute (${COMPUTES} computes)`, () => {
  it('layers model', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }), tf.layers.dense({ units: 1 })] });
    await saveModel(model, join(dir, 'layers'));
    model.dispose();
    const graph = await loadPath(join(dir, 'layers'));
    const weights = tf.memory().numTensors;
    const { before, after } = await memoryAcross(graph, [{ name: '0', tensor: f32([4, 8], Array.from({ length: 32 }, (_, i) => i / 10)) }]);
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(before.numTensors).toBe(weights);
    await graph.dispose();
  });

  it('graph model (execute) and dynamic graph model (executeAsync)', async () => {
    const affine = await loadPath(await affineGraph(join(dir, 'affine')));
    const where = await loadPath(await whereGraph(join(dir, 'where')));
    for (const [graph, inputs] of [
      [affine, [{ name: 'x', tensor: f32([2, 2], [1, 2, 3, 4]) }, { name: 'n', tensor: i32([2], [5, 6]) }]],
      [where, [{ name: 'x', tensor: f32([4], [1, -1, 2, -2]) }]],
    ] as const) {
      const { before, after } = await memoryAcross(graph, [...inputs]);
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
    }
    await Promise.all([affine.dispose(), where.dispose()]);
  });

  it('failed computes dispose their inputs too', async () => {
    const graph = await loadPath(await affineGraph(join(dir, 'failing')));
    const context = graph.createContext();
    const before = tf.memory().numTensors;
    // x converts, then n fails conversion; and a shape error inside the model.
    await expect(context.compute([{ name: 'x', tensor: f32([1, 2], [1, 2]) }, { name: 'n', tensor: f32([1], [0.5]) }])).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(context.compute([{ name: 'x', tensor: f32([1, 3], [1, 2, 3]) }, { name: 'n', tensor: i32([1], [1]) }])).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(tf.memory().numTensors).toBe(before);
    await graph.dispose();
  });
});
