/**
 * The XOR MLP the xor-mlp demo guest loads: trained with tfjs in about a second, from fixed seeds,
 * and saved as a layers model (model.json + weights.bin) so that a fresh clone needs no files.
 */
import { engine } from './engine.js';
import { folderSaveHandler } from './io.js';

export const XOR_TABLE = [
  { a: 0, b: 0, xor: 0 },
  { a: 0, b: 1, xor: 1 },
  { a: 1, b: 0, xor: 1 },
  { a: 1, b: 1, xor: 0 },
] as const;

export interface XorTrainingOptions {
  /** Seed for the weight initialisers; training itself is full-batch and unshuffled, so deterministic. */
  seed?: number;
  epochs?: number;
}

export interface XorTraining {
  folder: string;
  epochs: number;
  finalLoss: number;
  /** The trained model's P(xor = 1) for each row of XOR_TABLE. */
  predictions: number[];
}

/**
 * Trains a 2→8 (tanh)→1 (sigmoid) MLP on the XOR truth table and saves it into `folder`. Throws
 * if it did not learn the table (so a demo never runs on an untrained model).
 */
export async function trainXorModel(folder: string, options: XorTrainingOptions = {}): Promise<XorTraining> {
  const { seed = 42, epochs = 300 } = options;
  const { tf } = await engine();
  const model = tf.sequential({
    name: 'xor_mlp',
    layers: [
      tf.layers.dense({ name: 'hidden', inputShape: [2], units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ name: 'xor', units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  const xs = tf.tensor2d(XOR_TABLE.map((r) => [r.a, r.b]));
  const ys = tf.tensor2d(XOR_TABLE.map((r) => [r.xor]));
  try {
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
    const history = await model.fit(xs, ys, { epochs, batchSize: XOR_TABLE.length, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    const predicted = model.predict(xs) as ReturnType<typeof tf.tensor>;
    const predictions = Array.from(await predicted.data());
    predicted.dispose();
    const wrong = XOR_TABLE.filter((row, i) => Math.round(predictions[i]!) !== row.xor);
    if (wrong.length) {
      throw new Error(`the XOR MLP did not learn the table in ${epochs} epochs (wrong rows: ${wrong.map((r) => `${r.a},${r.b}`).join('; ')}); try more epochs`);
    }
    await model.save(folderSaveHandler(tf, folder));
    return { folder, epochs, finalLoss: losses[losses.length - 1]!, predictions };
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
  }
}
