// Fresh-clone models: made with tfjs (layers) or written by hand (graph), saved to disk, loaded back
// through the backend by path and from bytes, and compared with the model called directly.
import { probeBytes } from '@wacs/core/backend';
import { probePath } from '@wacs/core/backend/node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedModel, engine, saveModel, tfjsBackend, type TfModule } from '../src/index.js';
import { affineByHand, affineGraph, compute, f32, floats, i32, ints, loadBytes, loadPath, whereGraph } from './fixtures.js';

let tf: TfModule;
let dir: string;

beforeAll(async () => {
  ({ tf } = await engine());
  dir = await mkdtemp(join(tmpdir(), 'wacs-tfjs-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function sequentialModel(): ReturnType<TfModule['sequential']> {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), biasInitializer: 'ones' }),
      tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
    ],
  });
}

/** Two named inputs, two named outputs: out_sum = a + b, out_dense = dense(concat(a, b)). */
function functionalModel() {
  const a = tf.input({ shape: [3], name: 'a' });
  const b = tf.input({ shape: [3], name: 'b' });
  const sum = tf.layers.add({ name: 'out_sum' }).apply([a, b]) as ReturnType<typeof tf.input>;
  const joined = tf.layers.concatenate().apply([a, b]) as ReturnType<typeof tf.input>;
  const dense = tf.layers.dense({ name: 'out_dense', units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }).apply(joined) as ReturnType<typeof tf.input>;
  return tf.model({ inputs: [a, b], outputs: [sum, dense] });
}

async function direct(run: () => ReturnType<typeof tf.tensor> | ReturnType<typeof tf.tensor>[]): Promise<number[][]> {
  const result = run();
  const list = Array.isArray(result) ? result : [result];
  const values = await Promise.all(list.map(async (t) => Array.from(await t.data())));
  tf.dispose(list);
  return values;
}

describe('layers models saved with tfjs', () => {
  const x = [[0.5, -1, 2], [3, 0.25, -0.75]];

  it('a Sequential loads by folder and by model.json path and computes what model.predict does', async () => {
    const model = sequentialModel();
    const folder = join(dir, 'sequential');
    await saveModel(model, folder);
    const [expected] = await direct(() => model.predict(tf.tensor(x)) as ReturnType<typeof tf.tensor>);
    for (const path of [folder, join(folder, 'model.json')]) {
      const graph = await loadPath(path);
      expect(graph.runner.kind).toBe('layers');
      const outputs = await compute(graph, [{ name: '0', tensor: f32([2, 3], x.flat()) }]);
      expect(outputs.map((o) => [o.name, o.tensor.type, o.tensor.dimensions])).toEqual([[model.outputNames[0], 'FP32', [2, 2]]]);
      expect(floats(outputs[0]!.tensor)).toEqual(expected);
      await graph.dispose();
    }
    model.dispose();
  });

  it('a functional model takes inputs by name or position and returns every output, named, in model order', async () => {
    const model = functionalModel();
    const folder = join(dir, 'functional');
    await saveModel(model, folder);
    const a = [[1, 2, 3]];
    const b = [[0.5, -4, 10]];
    const expected = await direct(() => model.predict([tf.tensor(a), tf.tensor(b)]) as ReturnType<typeof tf.tensor>[]);
    const graph = await loadPath(folder);
    expect(graph.runner.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    // By name, in any order; by position; mixed.
    for (const names of [['b', 'a'], ['1', '0'], ['b', '0']]) {
      const outputs = await compute(graph, [
        { name: names[0]!, tensor: f32([1, 3], b.flat()) },
        { name: names[1]!, tensor: f32([1, 3], a.flat()) },
      ]);
      expect(outputs.map((o) => o.name)).toEqual(['out_sum', 'out_dense']);
      expect(outputs.map((o) => floats(o.tensor))).toEqual(expected);
      expect(floats(outputs[0]!.tensor)).toEqual([1.5, -2, 13]);
    }
    await graph.dispose();
    model.dispose();
  });

  it('loads from guest bytes: one JSON with embedded weights, or model.json followed by its shards', async () => {
    const model = sequentialModel();
    const folder = join(dir, 'bytes');
    await saveModel(model, folder);
    const [expected] = await direct(() => model.predict(tf.tensor(x)) as ReturnType<typeof tf.tensor>);
    const embedded = await embedModel(folder);
    expect(probeBytes([embedded]).format).toBe('tfjs-model');
    expect(await tfjsBackend.detect!(probeBytes([embedded]))).toBe(true);
    const split = [await readFile(join(folder, 'model.json')), await readFile(join(folder, 'weights.bin'))];
    for (const builders of [[embedded], split]) {
      const graph = await loadBytes(builders);
      const outputs = await compute(graph, [{ name: '0', tensor: f32([2, 3], x.flat()) }]);
      expect(floats(outputs[0]!.tensor)).toEqual(expected);
      await graph.dispose();
    }
    model.dispose();
  });
});

describe('graph models', () => {
  it('a hand-written graph model (weights over two shards) computes the hand-computed result and what tf.loadGraphModel gives', async () => {
    const folder = await affineGraph(join(dir, 'affine'), 2);
    const graph = await loadPath(folder);
    expect(graph.runner.kind).toBe('graph');
    expect(graph.runner.inputs).toEqual([{ name: 'x', dtype: 'float32' }, { name: 'n', dtype: 'int32' }]);
    const x = [[1, 2], [3, -4]];
    const outputs = await compute(graph, [
      { name: 'x', tensor: f32([2, 2], x.flat()) },
      { name: 'n', tensor: i32([3], [3, -4, 5]) },
    ]);
    expect(outputs.map((o) => [o.name, o.tensor.type, o.tensor.dimensions])).toEqual([
      ['y', 'FP32', [2, 3]],
      ['n2', 'I32', [3]],
    ]);
    expect(floats(outputs[0]!.tensor)).toEqual(affineByHand(x));
    expect(ints(outputs[1]!.tensor)).toEqual([9, 16, 25]);

    // The same files through tfjs's own in-memory handler (its file:// loader needs tfjs-node).
    const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
    const weights = Buffer.concat(await Promise.all(json.weightsManifest[0].paths.map((p: string) => readFile(join(folder, p)))));
    const model = await tf.loadGraphModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, format: json.format, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }),
    );
    const expected = await direct(() => model.execute({ x: tf.tensor(x), n: tf.tensor([3, -4, 5], [3], 'int32') }) as ReturnType<typeof tf.tensor>[]);
    expect([floats(outputs[0]!.tensor), ints(outputs[1]!.tensor)]).toEqual(expected);
    model.dispose();
    await graph.dispose();
  });

  it('a graph model with a dynamic-shape op runs through executeAsync', async () => {
    const graph = await loadPath(await whereGraph(join(dir, 'where')));
    const outputs = await compute(graph, [{ name: '0', tensor: f32([5], [-1, 2, 0, 3, -5]) }]);
    expect(outputs[0]!.name).toBe('positives');
    expect(outputs[0]!.tensor.dimensions).toEqual([2, 1]);
    expect(ints(outputs[0]!.tensor)).toEqual([1, 3]);
    // The second compute goes straight to executeAsync and still works.
    expect(ints((await compute(graph, [{ name: 'x', tensor: f32([2], [4, 4]) }]))[0]!.tensor)).toEqual([0, 1]);
    await graph.dispose();
  });

  it('a graph model saved back with saveModel loads again', async () => {
    const source = await loadPath(await affineGraph(join(dir, 'affine-src'), 1));
    const folder = join(dir, 'affine-resaved');
    await saveModel((source.runner as unknown as { model: Parameters<typeof saveModel>[0] }).model, folder);
    const graph = await loadPath(folder);
    const outputs = await compute(graph, [
      { name: '0', tensor: f32([1, 2], [0.5, 0.25]) },
      { name: '1', tensor: i32([1], [7]) },
    ]);
    expect(floats(outputs[0]!.tensor)).toEqual(affineByHand([[0.5, 0.25]]));
    expect(ints(outputs[1]!.tensor)).toEqual([49]);
    await Promise.all([graph.dispose(), source.dispose()]);
  });
});

describe('detection and errors', () => {
  it('detects a model folder and a model.json path, not other files', async () => {
    const folder = await affineGraph(join(dir, 'detect'), 1);
    expect(await tfjsBackend.detect!(await probePath(folder))).toBe(true);
    expect(await tfjsBackend.detect!(await probePath(join(folder, 'model.json')))).toBe(true);
    expect(await tfjsBackend.detect!(await probePath(join(folder, 'group1-shard1of1.bin')))).toBe(false);
    expect(await tfjsBackend.detect!(probeBytes([new TextEncoder().encode('{"hello": 1}')]))).toBe(false);
  });

  it('refuses bad inputs with invalid-argument', async () => {
    const graph = await loadPath(await affineGraph(join(dir, 'errors'), 1));
    const n = { name: 'n', tensor: i32([1], [1]) };
    const cases: Array<[Parameters<typeof compute>[1], RegExp]> = [
      [[{ name: 'x', tensor: f32([1, 2], [1, 2]) }], /missing model input\(s\): "n"/],
      [[{ name: 'z', tensor: f32([1, 2], [1, 2]) }, n], /no input "z"; its inputs are "x", "n" \(or "0"…"1" by position\)/],
      [[{ name: 'x', tensor: f32([1, 2], [1, 2]) }, { name: '0', tensor: f32([1, 2], [1, 2]) }, n], /given twice/],
      [[{ name: 'x', tensor: f32([1, 3], [1, 2, 3]) }, n], /shape/],
      [[{ name: 'x', tensor: f32([1, 2], [1, 2]) }, { name: 'n', tensor: f32([1], [1.5]) }], /FP32 value 1.5 \(element 0\) cannot be converted to the model's int32/],
    ];
    for (const [inputs, message] of cases) {
      await expect(compute(graph, inputs)).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(message) });
    }
    await graph.dispose();
  });

  it('refuses broken models with invalid-encoding, missing ones with not-found, unknown options with invalid-argument', async () => {
    const folder = await affineGraph(join(dir, 'broken'), 1);
    await expect(loadPath(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'not-found' });
    await expect(loadPath(folder, { threads: '2' })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/model option: unknown option "threads"; the tfjs backend knows engine/) });
    await expect(loadPath(folder, { engine: 'gpu' })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(loadBytes([new TextEncoder().encode('{"modelTopology": ')])).rejects.toMatchObject({ code: 'invalid-encoding' });
    const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
    await expect(loadBytes([Buffer.from(JSON.stringify(json))])).rejects.toMatchObject({ code: 'invalid-encoding', message: expect.stringMatching(/weightData/) });
    await expect(loadBytes([Buffer.from(JSON.stringify(json)), new Uint8Array(8)])).rejects.toMatchObject({
      code: 'invalid-encoding',
      message: expect.stringMatching(/8 bytes but the weightsManifest describes 36/),
    });
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    await writeFile(join(folder, 'model.json'), JSON.stringify(json));
    await expect(loadPath(folder)).rejects.toMatchObject({ code: 'invalid-encoding', message: expect.stringMatching(/leaves the model's folder/) });
  });

  it('target tpu is unsupported, and target gpu needs the tfjs-node-gpu engine', async () => {
    const folder = await affineGraph(join(dir, 'targets'), 1);
    for (const target of ['tpu', 'gpu'] as const) {
      await expect(tfjsBackend.load({ source: { kind: 'path', path: folder }, encoding: 'tensorflow', target, options: {} })).rejects.toMatchObject({
        code: 'unsupported-operation',
      });
    }
  });
});
