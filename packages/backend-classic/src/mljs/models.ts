/**
 * ml.js models saved with the libraries' own `toJSON()` and loaded with their own `load()`.
 * Labels come from the library's `predict`; probabilities from the library's own per-row
 * quantities (leaf distributions, tree votes, neighbour votes, one-vs-rest scores, class
 * log-likelihoods), normalised to sum to 1.
 */
import { NnError } from '@wacs/core/backend';
import type { ContractInputs, Prediction } from '../contract.js';

/** The `name` (or GaussianNB's `modelName`) each library writes into its JSON. */
export const MLJS_MODELS = ['DTClassifier', 'DTRegression', 'RFClassifier', 'RFRegression', 'LogisticRegression', 'KNN', 'MultinomialNB', 'NaiveBayes'] as const;
export type MljsName = (typeof MLJS_MODELS)[number];

export function mljsName(json: unknown): MljsName | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const o = json as { name?: unknown; modelName?: unknown };
  const name = o.modelName === 'NaiveBayes' ? 'NaiveBayes' : o.name;
  return (MLJS_MODELS as readonly unknown[]).includes(name) ? (name as MljsName) : undefined;
}

interface MatrixLike {
  rows: number;
  columns: number;
  getRow(i: number): number[];
  to1DArray(): number[];
  to2DArray(): number[][];
}
interface MatrixClass {
  checkMatrix(data: number[][]): MatrixLike;
}
interface Predictor {
  predict(rows: unknown): unknown[];
}
type Loader<T> = { load(json: unknown): T };

interface TreeNode {
  distribution?: number[][] | number;
  left?: TreeNode;
  right?: TreeNode;
}

export interface MljsModel {
  name: MljsName;
  predict(inputs: ContractInputs): Prediction;
}

/** Number of classes a CART tree knows: the widest leaf distribution. */
function treeClasses(node: TreeNode | undefined): number {
  if (!node) return 0;
  if (Array.isArray(node.distribution)) return node.distribution[0]?.length ?? 0;
  return Math.max(treeClasses(node.left), treeClasses(node.right));
}

function featureRows(inputs: ContractInputs): number[][] {
  if (inputs.metadata.size) throw new NnError('invalid-argument', 'ml.js models take numeric features only; metadata fields are not supported');
  const f = inputs.features;
  if (!f) throw new NnError('invalid-argument', 'missing input "features": FP32/FP64 [N, F]');
  const rows: number[][] = [];
  for (let r = 0; r < inputs.rows; r++) rows.push(Array.from(f.data.subarray(r * f.columns, (r + 1) * f.columns)));
  return rows;
}

function normalise(values: number[]): number[] {
  const sum = values.reduce((a, b) => a + b, 0);
  return sum > 0 ? values.map((v) => v / sum) : values.map(() => NaN);
}

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  if (!Number.isFinite(max)) return logits.map(() => NaN);
  return normalise(logits.map((l) => Math.exp(l - max)));
}

function classification(classes: Array<string | number>, labels: number[], probabilities: number[][]): Prediction {
  const c = classes.length;
  const probs = new Float32Array(labels.length * c);
  probabilities.forEach((p, r) => {
    for (let k = 0; k < c; k++) probs[r * c + k] = p[k] ?? 0;
  });
  return { kind: 'classification', classes, labels: Int32Array.from(labels), probabilities: probs };
}

function regression(values: unknown[]): Prediction {
  return { kind: 'regression', values: Float32Array.from(values as number[]) };
}

function namedClasses(count: number, names: string[] | undefined): Array<string | number> {
  if (!names) return Array.from({ length: count }, (_, i) => i);
  if (names.length !== count) throw new NnError('invalid-argument', `option "classes" names ${names.length} classes but the model has ${count}`);
  return names;
}

export async function loadMljs(json: unknown, classNames: string[] | undefined): Promise<MljsModel> {
  const name = mljsName(json);
  if (!name) throw new NnError('invalid-encoding', 'not an ml.js model: the JSON has no known "name"');
  switch (name) {
    case 'DTClassifier':
    case 'DTRegression': {
      const cart = (await import('ml-cart')) as { DecisionTreeClassifier: Loader<Predictor & { root: { classify(row: number[]): MatrixLike } }>; DecisionTreeRegression: Loader<Predictor> };
      if (name === 'DTRegression') {
        const model = cart.DecisionTreeRegression.load(json);
        return { name, predict: (inputs) => regression(model.predict(featureRows(inputs))) };
      }
      const model = cart.DecisionTreeClassifier.load(json);
      const classes = namedClasses(treeClasses((json as { root: TreeNode }).root), classNames);
      return {
        name,
        predict(inputs) {
          const rows = featureRows(inputs);
          const labels = model.predict(rows) as number[];
          return classification(classes, labels, rows.map((row) => model.root.classify(row).to1DArray()));
        },
      };
    }
    case 'RFClassifier':
    case 'RFRegression': {
      const forest = (await import('ml-random-forest')) as unknown as {
        RandomForestClassifier: Loader<Predictor & { predictionValues(rows: number[][]): MatrixLike; selection(votes: number[]): number }>;
        RandomForestRegression: Loader<Predictor>;
      };
      if (name === 'RFRegression') {
        const model = forest.RandomForestRegression.load(json);
        return { name, predict: (inputs) => regression(model.predict(featureRows(inputs))) };
      }
      const model = forest.RandomForestClassifier.load(json);
      const estimators = (json as { baseModel: { estimators: Array<{ root: TreeNode }> } }).baseModel.estimators;
      const classes = namedClasses(Math.max(...estimators.map((e) => treeClasses(e.root))), classNames);
      return {
        name,
        predict(inputs) {
          const rows = featureRows(inputs);
          // The library's predict is predictionValues (every tree's vote) then selection (the
          // mode): called as two steps, the votes also give the vote shares without a second pass.
          const votes = model.predictionValues(rows);
          const labels = rows.map((_, r) => model.selection(votes.getRow(r)));
          const probabilities = labels.map((_, r) => {
            const counts = new Array<number>(classes.length).fill(0);
            for (const v of votes.getRow(r)) counts[v]! += 1;
            return normalise(counts);
          });
          return classification(classes, labels, probabilities);
        },
      };
    }
    case 'LogisticRegression': {
      const { default: LogisticRegression } = (await import('ml-logistic-regression')) as {
        default: Loader<Predictor & { numberClasses: number; classifiers: Array<{ weights: { constructor: MatrixClass }; testScores(x: MatrixLike): number[] }> }>;
      };
      const model = LogisticRegression.load(json);
      // The library predicts from an ml-matrix Matrix: take the class from the loaded weights.
      const Matrix = model.classifiers[0]!.weights.constructor;
      const classes = namedClasses(model.numberClasses, classNames);
      return {
        name,
        predict(inputs) {
          const x = Matrix.checkMatrix(featureRows(inputs));
          const labels = model.predict(x) as number[];
          // Each one-vs-rest classifier scores P(not its class).
          const scores = model.classifiers.map((c) => c.testScores(x));
          return classification(classes, labels, labels.map((_, r) => normalise(scores.map((s) => 1 - s[r]!))));
        },
      };
    }
    case 'KNN': {
      const { default: KNN } = (await import('ml-knn')) as {
        default: Loader<Predictor & { k: number; classes: Set<unknown>; kdTree: { nearest(point: number[], k: number): Array<[number[], number]> } }>;
      };
      const model = KNN.load(json);
      const values = [...model.classes].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
      const classes = classNames ? namedClasses(values.length, classNames) : (values as Array<string | number>);
      return {
        name,
        predict(inputs) {
          const rows = featureRows(inputs);
          const labels = (model.predict(rows) as unknown[]).map((label) => values.indexOf(label));
          const probabilities = rows.map((row) => {
            const counts = new Array<number>(values.length).fill(0);
            for (const [point] of model.kdTree.nearest(row, model.k)) counts[values.indexOf(point[point.length - 1])]! += 1;
            return normalise(counts);
          });
          return classification(classes, labels, probabilities);
        },
      };
    }
    case 'NaiveBayes': {
      const { GaussianNB } = (await import('ml-naivebayes')) as { GaussianNB: Loader<Predictor> };
      const model = GaussianNB.load(json);
      const { means, calculateProbabilities } = json as { means: number[][]; calculateProbabilities: Array<[number, ...Array<[number, number]>]> };
      const classes = namedClasses(means.length, classNames);
      return {
        name,
        predict(inputs) {
          const rows = featureRows(inputs);
          const labels = model.predict(rows) as number[];
          // The library's per-class log-likelihood: log prior + Σ log N(x; mean, std). ml-naivebayes
          // 4.0.0 sums over `calculateProbabilities[0][1].length` features (that is, the first
          // two); the same bound here keeps the probabilities in agreement with its labels.
          const used = calculateProbabilities[0]?.[1]?.length ?? 0;
          const probabilities = rows.map((row) =>
            softmax(
              calculateProbabilities.map(([logPrior, ...features], c) =>
                features.slice(0, used).reduce((sum, [c1, c2], j) => {
                  const d = row[j]! - means[c]![j]!;
                  return sum + Math.log(c1 * Math.exp((d * d) / c2));
                }, logPrior),
              ),
            ),
          );
          return classification(classes, labels, probabilities);
        },
      };
    }
    case 'MultinomialNB': {
      const { MultinomialNB } = (await import('ml-naivebayes')) as {
        MultinomialNB: Loader<Predictor & { conditionalProbability: MatrixLike; priorProbability: MatrixLike }>;
      };
      const model = MultinomialNB.load(json);
      const conditional = model.conditionalProbability.to2DArray();
      const prior = model.priorProbability.to1DArray();
      const classes = namedClasses(prior.length, classNames);
      return {
        name,
        predict(inputs) {
          const rows = featureRows(inputs);
          const labels = model.predict(rows) as number[];
          const probabilities = rows.map((row) => softmax(conditional.map((logp, c) => prior[c]! + logp.reduce((s, l, j) => s + l * row[j]!, 0))));
          return classification(classes, labels, probabilities);
        },
      };
    }
  }
}
