// @wacs/backend-testkit on the classic backend, once per format: an ONNX-ML tree ensemble (the
// package's fixture writer), a PMML regression (written here), an ml.js k-NN (trained here with
// ml-knn). Answers are worked out by hand; the k-NN's also come from ml-knn itself.
import { jsonTensor, tensorFrom, type NamedTensor } from '@wacs/core';
import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
import KNN from 'ml-knn';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeEnsembleClassifier } from '../fixtures/onnx-ml.mjs';
import { classicBackend } from '../src/index.js';

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
describeBackendConformance(classicBackend, async () => {
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
}, { title: 'classic backend conformance: ONNX-ML' });

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

describeBackendConformance(classicBackend, async () => {
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
}, { title: 'classic backend conformance: PMML' });

describeBackendConformance(classicBackend, async () => {
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
}, { title: 'classic backend conformance: ml.js' });
