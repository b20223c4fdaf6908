/**
 * The real models in ../shared/models/classical (skipped, with the reason printed, when ../shared
 * is absent). ONNX-ML: the classic backend's flattened outputs against onnxruntime-node's own for
 * the same rows. PMML: the shared documents evaluated on sample rows.
 */
import { ort } from '@wacs/onnxruntime';
import { sharedModel } from '@wacs/fixtures';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { proto } from '@wacs/onnxruntime';

const { fields, text } = proto;
import { features, run, sigmoid } from './helpers.js';

/** CSV rows as cells (double-quoted cells may hold commas). */
function csv(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((line) => [...line.matchAll(/("([^"]*)"|[^,]*)(,|$)/g)].map((m) => m[2] ?? m[1]!).slice(0, -1));
}

async function ortRun(path: string, x: number[][], outputs?: string[]) {
  const engine = await ort();
  const session = await engine.InferenceSession.create(path);
  try {
    const feed = { [session.inputNames[0]!]: new engine.Tensor('float32', Float32Array.from(x.flat()), [x.length, x[0]!.length]) };
    return outputs ? await session.run(feed, outputs) : await session.run(feed);
  } finally {
    await session.release();
  }
}

function chunk(values: ArrayLike<number>, width: number): number[][] {
  const flat = Array.from(values);
  return Array.from({ length: flat.length / width }, (_, r) => flat.slice(r * width, (r + 1) * width));
}

const titanicPath = sharedModel('classical/sklearn-onnx/small_titanic.csv');
const irisPath = sharedModel('classical/onnxmltools/iris.csv');
const iris = irisPath ? csv(irisPath).slice(1) : [];
const irisX = iris.map((r) => r.slice(1, 5).map(Number));

describe.skipIf(!titanicPath)('sklearn-onnx TreeEnsembleClassifier models on small_titanic.csv rows', () => {
  // The three models come from sklearn-onnx's tests, over 20 (treecl3: 10) float features. Each
  // Titanic row gives its numeric cells (blanks as 0), repeated to fill the width.
  const rows = titanicPath ? csv(titanicPath).slice(1, 41) : []; // the body runs (to collect tests) even when skipped
  const numeric = rows.map((r) => r.filter((c) => c === '' || !Number.isNaN(Number(c))).map((c) => (c === '' ? 0 : Number(c))));
  const width = (n: number) => numeric.map((cells) => Array.from({ length: n }, (_, i) => cells[i % cells.length]!));
  for (const [name, n] of [['treecl.onnx', 20], ['treecl2.onnx', 20], ['treecl3.onnx', 10]] as const) {
    it(name, async () => {
      const path = sharedModel(`classical/sklearn-onnx/${name}`)!;
      const x = width(n);
      const oracle = await ortRun(path, x);
      const [label, proba] = Object.values(oracle);
      const out = await run(path, [features(x, 'FP32')]);
      expect(out.label).toEqual(Array.from(label!.data as BigInt64Array, Number));
      expect(out.probabilities).toEqual(chunk(proba!.data as Float32Array, proba!.dims[1]!));
      expect(out.classes?.length).toBe(proba!.dims[1]);
    });
  }
});

describe.skipIf(!irisPath)('onnxmltools and skl2onnx models on iris.csv', () => {
  it('test_xgb.onnx (TreeEnsembleRegressor): value equals onnxruntime\'s', async () => {
    const path = sharedModel('classical/onnxmltools/test_xgb.onnx')!;
    const oracle = await ortRun(path, irisX);
    const out = await run(path, [features(irisX, 'FP32')]);
    expect(out.value).toEqual(Array.from(oracle.variable!.data as Float32Array));
  });

  it('logreg_time.onnx (ZipMap): labels equal onnxruntime\'s; probabilities are the ZipMap\'s input, computed from the coefficients', async () => {
    const path = sharedModel('classical/sklearn-onnx/logreg_time.onnx')!;
    const oracle = await ortRun(path, irisX, ['output_label']);
    const out = await run(path, [features(irisX, 'FP32')]);
    expect(out.label).toEqual(Array.from(oracle.output_label!.data as BigInt64Array, Number));
    // LinearClassifier (post_transform LOGISTIC) → Normalizer (L1) → ZipMap, from the model's attributes.
    const attrs = new Map<string, number[]>();
    for (const m of fields(new Uint8Array(readFileSync(path)))) {
      if (m.number !== 7) continue;
      for (const g of fields(m.bytes!)) {
        if (g.number !== 1) continue;
        for (const n of fields(g.bytes!)) {
          if (n.number !== 5) continue;
          const a = [...fields(n.bytes!)];
          const name = text(a.find((f) => f.number === 1));
          // FLOATS, packed or one fixed32 field per value.
          const floats = a.filter((f) => f.number === 7).flatMap((f) => Array.from(new Float32Array((f.bytes ?? f.fixed)!.slice().buffer)));
          if (floats.length) attrs.set(name, floats);
        }
      }
    }
    const w = attrs.get('coefficients')!;
    const b = attrs.get('intercepts')!;
    const expected = irisX.map((x) => {
      const s = b.map((bk, k) => sigmoid(bk + x.reduce((acc, v, j) => acc + v * w[k * 4 + j]!, 0)));
      const sum = s.reduce((p, q) => p + q, 0);
      return s.map((v) => v / sum);
    });
    expected.forEach((row, r) => row.forEach((v, k) => expect(out.probabilities![r]![k]).toBeCloseTo(v, 5)));
    expect(out.classes).toEqual([0, 1, 2]);
  });
});

describe('nyoka PMML documents', () => {
  const regression = sharedModel('classical/pmml/regression_model.pmml');
  it.skipIf(!regression)('regression_model.pmml: KNIME linear regression, checked against its own coefficients', async () => {
    const xml = readFileSync(regression!, 'utf8');
    const intercept = Number(/intercept="([^"]+)"/.exec(xml)![1]);
    const coefficients = [...xml.matchAll(/NumericPredictor name="([^"]+)" exponent="1" coefficient="([^"]+)"/g)].map((m) => [m[1]!, Number(m[2])] as const);
    // Inputs in MiningSchema order: latitude, longitude, zon_winds, mer_winds, humidity, s_s_temp.
    const rows = [[0, -140, -3.1, 2.2, 84.3, 27.9], [-5.5, 100, 1.4, -4, 60, 24.1], [2, 10, 0, 0, 99, 30]];
    const out = await run(regression!, [features(rows)]);
    expect(coefficients.map(([name]) => name)).toEqual(['latitude', 'longitude', 'zon_winds', 'mer_winds', 'humidity', 's_s_temp']);
    rows.forEach((row, i) => expect(out.value![i]).toBeCloseTo(intercept + coefficients.reduce((s, [, c], j) => s + c * row[j]!, 0), 4));
  });

  const svc = sharedModel('classical/pmml/svc_pmml.pmml');
  it.skipIf(!svc || !irisPath)('svc_pmml.pmml: scikit-learn RBF SVC on every iris.csv row', async () => {
    const out = await run(svc!, [features(irisX)]);
    expect(out.classes).toEqual([0, 1, 2]);
    const species = ['setosa', 'versicolor', 'virginica'];
    const truth = iris.map((r) => species.indexOf(r[5]!));
    const correct = out.label!.filter((l, i) => l === truth[i]).length;
    // No oracle for this file: a convention slip (vote direction, kernel) would score near chance.
    expect(correct / truth.length).toBeGreaterThan(0.9);
  });
});
