// @wacs/backend-testkit on the tfjs backend: a dense layer built and saved with tfjs in the test
// (model.json + weights.bin by path, the same two files as graph builders), answers by hand. A
// layers model's output is named after its last layer.
import { tensorFrom, type NamedTensor } from '@wacs/core/backend';
import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel, tfjs, tfjsBackend } from '../src/index.js';

const W = [
  [1, -2],
  [0.5, 3],
  [-1, 0.25],
];
const B = [0.5, -1];
const fp32 = (name: string, dims: number[], values: number[]): NamedTensor => ({ name, tensor: tensorFrom('FP32', dims, Float32Array.from(values)) });

describeBackendConformance(tfjsBackend, async () => {
  const tf = await tfjs();
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'affine' })] });
  model.setWeights([tf.tensor2d(W), tf.tensor1d(B)]);
  const folder = join(await mkdtemp(join(tmpdir(), 'tfjs-conformance-')), 'affine');
  await saveModel(model, folder);
  model.dispose();
  const bytes = await Promise.all(['model.json', 'weights.bin'].map(async (f) => new Uint8Array(await readFile(join(folder, f)))));
  return {
    model: { bytes, path: folder },
    cases: [
      // [1 2 3]: [1+1-3+0.5, -2+6+0.75-1]; [-1 0 4]: [-1-4+0.5, 2+1-1]
      { label: 'two rows by index', inputs: [fp32('0', [2, 3], [1, 2, 3, -1, 0, 4])], expect: [fp32('affine', [2, 2], [-0.5, 3.75, -4.5, 2])] },
      { label: 'one row by name', inputs: [fp32('affine_input', [1, 3], [0, 0, 0])], expect: [fp32('affine', [1, 2], [0.5, -1])] },
    ],
    badInputs: [
      { label: 'four columns', inputs: [fp32('0', [1, 4], [1, 2, 3, 4])] },
      { label: 'only an unknown input', inputs: [fp32('nope', [1, 3], [1, 2, 3])] },
    ],
  };
}, { title: 'tfjs backend conformance' });
