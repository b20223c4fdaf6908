/**
 * ONNX-ML models written here (fixtures/onnx-ml.mjs): the classic backend's flattened outputs
 * against onnxruntime-node running the same model without its ZipMap directly, detection, the
 * priority over backend-onnx, and loading from guest bytes.
 */
import { ort } from '@wacs/onnxruntime';
import onnxBackend from '@wacs/backend-onnx';
import { linearModel } from '@wacs/fixtures';
import { tensorFrom, type NamedTensor, probeBytes } from '@wacs/core/backend';
import { probePath } from '@wacs/core/backend/node';
import { BackendRegistry, ModelRegistry, NnHost } from '@wacs/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linearClassifier, stringInputRegressor, treeEnsembleClassifier, treeEnsembleRegressor } from '../fixtures/onnx-ml.mjs';
import classic from '../src/index.js';
import { decode, features, metadata, run } from './helpers.js';

type Tree = Parameters<typeof treeEnsembleClassifier>[0]['trees'][number];

// Two small trees over 3 features, 3 classes; leaves hold per-class weights.
const trees: Tree[] = [
  { feature: 0, threshold: 0.5, yes: { leaf: [0.7, 0.2, 0.1] }, no: { feature: 2, threshold: -1, yes: { leaf: [0.1, 0.8, 0.1] }, no: { leaf: [0.2, 0.2, 0.6] } } },
  { feature: 1, threshold: 0, mode: 'BRANCH_LT', yes: { leaf: [0.3, 0.3, 0.4] }, no: { leaf: [0.5, 0.25, 0.25] } },
];
const rows = [
  [0.1, -1, 3],
  [2, 0.5, -2],
  [1, 1, 0],
  [0.5, 0, 5],
  [-3, -0.2, -1.5],
];

/** onnxruntime-node running the model itself: the oracle. */
async function ortRun(model: Uint8Array, feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>> {
  const engine = await ort();
  const session = await engine.InferenceSession.create(model);
  try {
    return (await session.run(feeds as never)) as never;
  } finally {
    await session.release();
  }
}

async function ortFloat(model: Uint8Array, x: number[][]) {
  const engine = await ort();
  return ortRun(model, { X: new engine.Tensor('float32', Float32Array.from(x.flat()), [x.length, x[0]!.length]) });
}

function chunk(values: ArrayLike<number>, width: number): number[][] {
  const flat = Array.from(values);
  return Array.from({ length: flat.length / width }, (_, r) => flat.slice(r * width, (r + 1) * width));
}

describe('ONNX-ML outputs on the tensor contract', () => {
  it('TreeEnsembleClassifier + ZipMap (int64 classes): label and probabilities equal onnxruntime\'s own', async () => {
    const oracle = await ortFloat(treeEnsembleClassifier({ trees, classes: [0, 1, 2], features: 3 }), rows);
    const out = await run(treeEnsembleClassifier({ trees, classes: [0, 1, 2], features: 3, zipMap: true }), [features(rows, 'FP32')]);
    expect(out.label).toEqual(Array.from(oracle.label!.data as BigInt64Array, Number));
    expect(out.probabilities).toEqual(chunk(oracle.scores!.data as Float32Array, 3));
    expect(out.classes).toEqual([0, 1, 2]);
  });

  it('string classes: the label is a JSON array of onnxruntime\'s string labels (FP64 features converted)', async () => {
    const classes = ['cat', 'dog', 'eel'];
    const oracle = await ortFloat(treeEnsembleClassifier({ trees, classes, features: 3 }), rows);
    const out = await run(treeEnsembleClassifier({ trees, classes, features: 3, zipMap: true }), [features(rows, 'FP64')]);
    expect(out.label).toEqual(oracle.label!.data);
    expect(out.probabilities).toEqual(chunk(oracle.scores!.data as Float32Array, 3));
    expect(out.classes).toEqual(classes);
  });

  it('LinearClassifier + ZipMap with string keys', async () => {
    const spec = { coefficients: [[1, -1, 0.5], [0.2, 0.3, -0.7], [-0.4, 0.1, 0.9]], intercepts: [0.1, -0.2, 0], classes: ['lo', 'mid', 'hi'] };
    const oracle = await ortFloat(linearClassifier(spec), rows);
    const out = await run(linearClassifier({ ...spec, zipMap: true }), [features(rows, 'FP32')]);
    expect(out.label).toEqual(oracle.label!.data);
    expect(out.probabilities).toEqual(chunk(oracle.scores!.data as Float32Array, 3));
  });

  it('TreeEnsembleRegressor: `value` [N] equals onnxruntime\'s [N, 1]', async () => {
    const regression: Tree[] = [{ feature: 1, threshold: 0.2, yes: { leaf: [1.5] }, no: { leaf: [-2] } }, { feature: 0, threshold: 1, yes: { leaf: [0.25] }, no: { leaf: [4] } }];
    const model = treeEnsembleRegressor({ trees: regression, features: 3, base: 0.5 });
    const oracle = await ortFloat(model, rows);
    const out = await run(model, [features(rows, 'FP32')]);
    expect(out.value).toEqual(Array.from(oracle.variable!.data as Float32Array));
  });

  it('metadata feeds string and numeric model inputs by name', async () => {
    const model = stringInputRegressor({ codes: { female: 1, male: 2 }, weights: [0.5, 0.1], intercept: -1 });
    const sex = ['male', 'female', 'male'];
    const age = [30, 4.5, 61];
    const engine = await ort();
    const oracle = await ortRun(model, {
      sex: new engine.Tensor('string', sex, [3, 1]),
      age: new engine.Tensor('float32', Float32Array.from(age), [3, 1]),
    });
    const out = await run(model, [metadata({ sex, age })]);
    expect(out.value).toEqual(Array.from(oracle.variable!.data as Float32Array));
    // The same with the numeric column as `features` (model inputs left after metadata, in order).
    const mixed = await run(model, [metadata({ sex }), features(age.map((a) => [a]))]);
    expect(mixed.value).toEqual(out.value);
  });
});

describe('detection and priority', () => {
  const dir = mkdtempSync(join(tmpdir(), 'classic-onnx-'));
  const mlPath = join(dir, 'forest.onnx');
  const plainPath = join(dir, 'linear.onnx');
  const ml = treeEnsembleClassifier({ trees, classes: [0, 1, 2], features: 3, zipMap: true });
  const plain = linearModel([[1, 2], [3, 4]], [0.5, -0.5]);
  writeFileSync(mlPath, ml);
  writeFileSync(plainPath, plain);

  it('takes ONNX files and bytes with ai.onnx.ml nodes, and leaves plain ONNX to backend-onnx', async () => {
    expect(await classic.detect!(await probePath(mlPath))).toBe(true);
    expect(await classic.detect!(probeBytes([ml]))).toBe(true);
    expect(await classic.detect!(await probePath(plainPath))).toBe(false);
    expect(await classic.detect!(probeBytes([plain]))).toBe(false);

    const registry = new BackendRegistry();
    registry.register(onnxBackend, 0);
    registry.register(classic, 10);
    expect((await registry.resolve('onnx', await probePath(mlPath))).backend.name).toBe('classic');
    expect((await registry.resolve('autodetect', probeBytes([ml]))).backend.name).toBe('classic');
    expect((await registry.resolve('onnx', await probePath(plainPath))).backend.name).toBe('onnx');
  });

  it('loads from guest bytes through the host (encoding autodetect) and by name', async () => {
    const registry = new BackendRegistry();
    registry.register(onnxBackend, 0);
    registry.register(classic, 10);
    const models = new ModelRegistry();
    models.add('forest', { path: mlPath });
    const host = new NnHost(registry, models, { log: () => {} });
    const session = host.session();
    const input: NamedTensor[] = [{ name: '0', tensor: tensorFrom('FP32', [rows.length, 3], Float32Array.from(rows.flat())) }];
    try {
      const fromBytes = decode(await session.compute(await session.initContext(await session.load([ml], 'autodetect', 'cpu')), input));
      const byName = decode(await session.compute(await session.initContext(await session.loadByName('forest')), input));
      const oracle = await ortFloat(treeEnsembleClassifier({ trees, classes: [0, 1, 2], features: 3 }), rows);
      expect(fromBytes.probabilities).toEqual(chunk(oracle.scores!.data as Float32Array, 3));
      expect(byName).toEqual(fromBytes);
    } finally {
      await session.close();
      await host.dispose();
    }
  });
});
