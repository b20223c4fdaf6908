// @wacs/backend-testkit on the onnx backend (the ONNX node-test runner's tests are node-tests.*.test.ts):
// y = x·W + b from the fixtures' ONNX builder, answers worked out by hand.
import { tensorFrom, type NamedTensor } from '@wacs/core/backend';
import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
import { linearModel } from '@wacs/fixtures';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnxBackend } from '../src/index.js';

const W = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const B = [0.5, -1];
const fp32 = (name: string, dims: number[], values: number[]): NamedTensor => ({ name, tensor: tensorFrom('FP32', dims, Float32Array.from(values)) });

describeBackendConformance(onnxBackend, async () => {
  const bytes = linearModel(W, B);
  const path = join(await mkdtemp(join(tmpdir(), 'onnx-conformance-')), 'linear.onnx');
  await writeFile(path, bytes);
  return {
    model: { bytes, path, options: { intra_op_threads: 1 } },
    cases: [
      // [1 2 3]·W + b = [1+6+15+0.5, 2+8+18-1]; [4 5 6]·W + b = [4+15+30+0.5, 8+20+36-1]
      { label: 'two rows by name', inputs: [fp32('x', [2, 3], [1, 2, 3, 4, 5, 6])], expect: [fp32('y', [2, 2], [22.5, 27, 49.5, 63])] },
      { label: 'one row by index', inputs: [fp32('0', [1, 3], [0, -1, 0.5])], expect: [fp32('y', [1, 2], [-3 + 2.5 + 0.5, -4 + 3 - 1])] },
    ],
    badInputs: [
      { label: 'four columns', inputs: [fp32('x', [1, 4], [1, 2, 3, 4])] },
      { label: 'x as I32', inputs: [{ name: 'x', tensor: tensorFrom('I32', [1, 3], Int32Array.of(1, 2, 3)) }] },
      { label: 'only an unknown input', inputs: [fp32('w', [1, 3], [1, 2, 3])] },
    ],
  };
}, { title: 'onnx backend conformance' });
