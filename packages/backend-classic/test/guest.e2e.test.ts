/**
 * End to end: the real `wacs` CLI running the iris-classify guest with this backend (and
 * backend-onnx) bound, on models made here. Each run's labels are checked against the library or
 * engine that made the model.
 */
import { ort } from '@wacs/onnxruntime';
import { guest, repoRoot, runWacs } from '@wacs/fixtures';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { treeEnsembleClassifier } from '../fixtures/onnx-ml.mjs';
import { mljsForestToPmml } from '../fixtures/pmml.mjs';
import { trainIrisModel } from '../src/demo.js';
import { iris, trainClassifiers } from './mljs-train.js';

const dir = mkdtempSync(join(tmpdir(), 'classic-guest-'));
const binds = ['--bind', join(repoRoot, 'packages/backend-classic'), '--bind', join(repoRoot, 'packages/backend-onnx')];
const irisCsv = ['sl,sw,pl,pw', ...iris.map((r) => r.join(','))].join('\n');

async function classify(modelArgs: string[], guestArgs: string[], stdin = irisCsv) {
  const result = await runWacs(['run', guest('iris-classify'), ...binds, ...modelArgs, '--', ...guestArgs], { stdin });
  if (result.code !== 0) throw new Error(`wacs exited ${result.code}: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  const classes = lines[0]!.startsWith('# classes: ') ? lines.shift()!.slice('# classes: '.length).split(',') : [];
  const rows = lines.map((l) => {
    const [label, probabilities] = l.split('\t');
    return { label: label!, probabilities: probabilities!.split(' ').map(Number) };
  });
  return { classes, rows, stderr: result.stderr };
}

describe('iris-classify guest', () => {
  const models = trainClassifiers();
  for (const name of ['DTClassifier', 'RFClassifier', 'LogisticRegression', 'KNN', 'NaiveBayes', 'MultinomialNB']) {
    it(`ml.js ${name}, loaded by name: the guest's labels equal the library's predictions`, async () => {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, JSON.stringify(models[name]!.json));
      const out = await classify(['--model', `m=${path}`], ['m', '--batch', '64']);
      expect(out.classes).toEqual(['0', '1', '2']);
      expect(out.rows.map((r) => Number(r.label))).toEqual(models[name]!.predict(iris));
    });
  }

  it('PMML forest loaded from guest bytes (--file, encoding autodetect) equals the same file by name', async () => {
    const path = join(dir, 'forest.pmml');
    writeFileSync(path, mljsForestToPmml(models.RFClassifier!.json, ['sl', 'sw', 'pl', 'pw'], [0, 1, 2]));
    const byName = await classify(['--model', `f=${path}`], ['f']);
    const fromBytes = await classify(['--dir', `${dir}::/models`], ['--file', '/models/forest.pmml']);
    expect(fromBytes).toEqual(byName);
    // Majority vote as ml-random-forest takes it (rows where the vote is not tied).
    const predicted = models.RFClassifier!.predict(iris);
    const clear = byName.rows.map((r, i) => [r, i] as const).filter(([r]) => r.probabilities.filter((p) => p === Math.max(...r.probabilities)).length === 1);
    expect(clear.length).toBeGreaterThan(140);
    for (const [r, i] of clear) expect(Number(r.label)).toBe(predicted[i]);
  });

  it('an ONNX-ML model goes to the classic backend even with backend-onnx bound; labels equal onnxruntime\'s', async () => {
    const trees = [
      { feature: 2, threshold: 2.45, yes: { leaf: [1, 0, 0] }, no: { feature: 3, threshold: 1.75, yes: { leaf: [0, 0.9, 0.1] }, no: { leaf: [0, 0.05, 0.95] } } },
    ] as const;
    const model = treeEnsembleClassifier({ trees: trees as never, classes: ['setosa', 'versicolor', 'virginica'], features: 4, zipMap: true });
    const path = join(dir, 'tree.onnx');
    writeFileSync(path, model);
    const out = await classify(['--model', `t=${path}`], ['t']);
    const engine = await ort();
    const session = await engine.InferenceSession.create(treeEnsembleClassifier({ trees: trees as never, classes: ['setosa', 'versicolor', 'virginica'], features: 4 }));
    const oracle = await session.run({ X: new engine.Tensor('float32', Float32Array.from(iris.flat()), [150, 4]) });
    await session.release();
    expect(out.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(out.rows.map((r) => r.label)).toEqual(oracle.label!.data);
  });

  it('the demo model: trainIrisModel writes a forest and a CSV that the guest classifies', async () => {
    const demo = await trainIrisModel(join(dir, 'demo'));
    const out = await classify(['--model', demo.modelArg('iris')], ['iris'], readFileSync(demo.csvPath, 'utf8'));
    expect(out.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    // A 25-tree forest on its own training data: nearly every row gets its species.
    const species = readFileSync(demo.csvPath, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[4]);
    const correct = out.rows.filter((r, i) => r.label === species[i]).length;
    expect(correct).toBeGreaterThanOrEqual(145);
  });

  it('unsupported PMML reaches the guest as a wasi-nn error naming the element', async () => {
    const path = join(dir, 'scorecard.pmml');
    writeFileSync(path, '<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><DataDictionary/><Scorecard functionName="regression"><MiningSchema/></Scorecard></PMML>');
    const result = await runWacs(['run', guest('iris-classify'), ...binds, '--model', `s=${path}`, '--', 's'], { stdin: irisCsv });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/the model type <Scorecard> is not supported/);
  });
});
