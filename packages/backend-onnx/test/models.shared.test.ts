// Real models from ../shared through the CLI and guests; onnxruntime-node on the same input is
// the oracle.
import { encodeTensorProto, guest, runWacs, sharedModel } from '@wacs/fixtures';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ort, ortDirect } from './helpers.js';

const mnist = sharedModel('onnx/mnist.onnx');
const supres = sharedModel('onnx/supres.onnx');
const bind = ['--bind', './packages/backend-onnx'];

/** A handwritten-looking 7 on a 28×28 canvas, 0..255 like the MNIST training data. */
function drawSeven(): Float32Array {
  const image = new Float32Array(28 * 28);
  for (let y = 5; y < 8; y++) for (let x = 6; x < 22; x++) image[y * 28 + x] = 255;
  for (let y = 8; y < 24; y++) {
    const x = Math.round(21 - (y - 8) * 0.55);
    for (let d = -1; d <= 1; d++) image[y * 28 + x + d] = 255;
  }
  return image;
}

describe.skipIf(!mnist)('mnist.onnx', () => {
  it('onnx-classify ranks the digits as onnxruntime does on the same input, from a name and from a preopened file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wacs-mnist-'));
    const image = drawSeven();
    writeFileSync(join(dir, 'seven.pb'), encodeTensorProto({ type: 'float', dims: [1, 1, 28, 28], values: image }));
    const direct = await ortDirect(mnist!, { Input3: new ort.Tensor('float32', image, [1, 1, 28, 28]) });
    const scores = Array.from(direct.Plus214_Output_0!.data as Float32Array);
    const ranked = scores.map((s, i) => [i, s] as const).sort((a, b) => b[1] - a[1]).slice(0, 3);
    expect(ranked[0]![0]).toBe(7); // the drawing is a 7 to the model too

    const byName = await runWacs(['run', guest('onnx-classify'), ...bind, '--dir', `${dir}::/in`, '--model', `mnist=${mnist}`, '--', 'mnist', '/in/seven.pb', '--top', '3']);
    const lines = byName.stdout.trim().split('\n').map((l) => l.split(' '));
    expect(lines.map((l) => Number(l[1]))).toEqual(ranked.map(([i]) => i));
    lines.forEach((l, i) => expect(Number(l[2]!.slice('score='.length))).toBeCloseTo(ranked[i]![1], 2));

    copyFileSync(mnist!, join(dir, 'mnist.onnx'));
    const fromFile = await runWacs(['run', guest('onnx-classify'), ...bind, '--dir', `${dir}::/in`, '--', '/in/mnist.onnx', '/in/seven.pb', '--top', '3']);
    expect(fromFile.stdout).toBe(byName.stdout);
  });

  it('a wrong input shape is invalid-argument naming the input and the expected shape', async () => {
    const r = await runWacs(['run', guest('nn-compute'), ...bind, '--model', `mnist=${mnist}`, '--', 'mnist', '--fill', 'Input3=FP32:1x1x28x27:0']);
    expect(r.stderr).toContain('wasi-nn error invalid-argument: input "Input3": got shape [1, 1, 28, 27], but the model expects [1, 1, 28, 28]');
  });
});

describe.skipIf(!supres)('supres.onnx (needs onnxruntime-extensions custom ops)', () => {
  it('fails to load with runtime-error and onnxruntime\'s own message', async () => {
    const r = await runWacs(['run', guest('nn-compute'), ...bind, '--model', `supres=${supres}`, '--', 'supres', '--fill', 'input=U8:1:0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('wasi-nn error runtime-error: onnxruntime could not load the model: Load model from');
    expect(r.stderr).toContain('ai.onnx.contrib:SuperResolutionPreProcess(-1) is not a registered function/op');
  });
});
