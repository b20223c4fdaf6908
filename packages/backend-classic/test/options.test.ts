/**
 * The classic backend's options through core's option kit: what a user types is checked strictly
 * (an unknown key, or one of another model format, is an error that says which keys apply), what a
 * guest sends is ignored when it does not apply, thread counts are capped at the machine's cores.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import backend from '../src/index.js';
import { linearClassifier } from '../fixtures/onnx-ml.mjs';
import { decode, features } from './helpers.js';
import { iris, trainClassifiers } from './mljs-train.js';

const mljs = new TextEncoder().encode(JSON.stringify(trainClassifiers().DTClassifier!.json));
// Two classes over two features: scores = softmax(x W + b).
const onnxMl = linearClassifier({ coefficients: [[1, -1], [-1, 1]], intercepts: [0, 0], classes: [0, 1] });

async function load(bytes: Uint8Array, options: Record<string, string | number>, guestOptions?: Record<string, string | number>) {
  const all = { ...options, ...guestOptions };
  return backend.load({ source: { kind: 'bytes', builders: [bytes] }, encoding: 'autodetect', target: 'cpu', options: all, ...(guestOptions ? { guestOptions } : {}) });
}

describe('classic backend options', () => {
  it('are listed from one spec, with when they apply', () => {
    const listed = backend.options!.describe();
    expect(listed.map((o) => o.name)).toEqual(expect.arrayContaining(['features', 'classes', 'intra_op_threads', 'graph_optimization_level']));
    expect(listed.every((o) => o.when === 'load')).toBe(true);
  });

  it('refuse a typo, an option of another format and "outputs" from the user, each naming what applies', async () => {
    await expect(load(mljs, { clases: 'a|b|c' })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('unknown option "clases"; the classic backend knows features, classes') });
    await expect(load(mljs, { features: 'a|b' })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('"features" does not apply to ml.js models; ml.js models take classes') });
    await expect(load(onnxMl, { classes: 'a|b' })).rejects.toMatchObject({ message: expect.stringContaining('ONNX-ML models take intra_op_threads') });
    await expect(load(onnxMl, { outputs: 'label' })).rejects.toMatchObject({ message: expect.stringContaining('maps ONNX-ML outputs onto its tensor contract itself') });
  });

  it('ignore what a guest sends that does not apply, and apply what does', async () => {
    const graph = await load(mljs, {}, { classes: 'setosa|versicolor|virginica', features: 'x', 'n-predict': 3 });
    const out = decode(await (await graph.createContext()).compute([features(iris.slice(0, 1))]));
    expect(out.label).toEqual(['setosa']);
    await graph.dispose();
  });

  it('cap thread counts at the machine\'s cores, from a guest too, and pass session options to onnxruntime', async () => {
    const cores = availableParallelism();
    await expect(load(onnxMl, {}, { intra_op_threads: cores + 1 })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining(`more threads than this machine's ${cores} cores`) });
    await expect(load(onnxMl, { execution_mode: 'fastest' })).rejects.toMatchObject({ message: expect.stringContaining('one of sequential, parallel') });
    const graph = await load(onnxMl, { intra_op_threads: 1, graph_optimization_level: 'basic' });
    // x = [2, 0]: scores = softmax([2, -2]), so class 0.
    const out = decode(await (await graph.createContext()).compute([features([[2, 0]], 'FP32')]));
    expect(out.label).toEqual([0]);
    await graph.dispose();
  });
});
