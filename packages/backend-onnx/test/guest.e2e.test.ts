// The real CLI with real guests and this backend bound, on models made here (fresh clone).
import { buildOnnxModel, encodeTensorProto, guest, runWacs } from '@wacs/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const bind = ['--bind', './packages/backend-onnx'];
const dir = mkdtempSync(join(tmpdir(), 'wacs-onnx-e2e-'));

// A 4-feature, 3-class linear classifier: logits = x · W. With x = [1, 2, 3, 4] the logits are
// [1+2·0+3·1+4·0, 1·0+2·1+3·0+4·1, 1·2+2·2+3·2+4·(-1)] = [4, 6, 8] by hand.
const W = [
  [1, 0, 2],
  [0, 1, 2],
  [1, 0, 2],
  [0, 1, -1],
];
const x = Float32Array.of(1, 2, 3, 4);

/** A .npy file (format 1.0) holding float32 values of the given shape. */
function npy(values: Float32Array, shape: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(values.buffer), 10 + header.length);
  return out;
}

beforeAll(() => {
  writeFileSync(
    join(dir, 'classifier.onnx'),
    buildOnnxModel({
      inputs: [{ name: 'features', type: 'float', shape: [1, 4] }],
      outputs: [{ name: 'logits', type: 'float', shape: [1, 3] }],
      initializers: [{ name: 'W', type: 'float', dims: [4, 3], data: Float32Array.from(W.flat()) }],
      nodes: [{ op: 'MatMul', inputs: ['features', 'W'], outputs: ['logits'] }],
    }),
  );
  writeFileSync(join(dir, 'x.npy'), npy(x, [1, 4]));
  writeFileSync(join(dir, 'x.pb'), encodeTensorProto({ type: 'float', dims: [1, 4], values: x }));
  writeFileSync(join(dir, 'short.npy'), npy(Float32Array.of(1, 2, 3), [1, 3]));
});

/** Softmax of the hand-computed logits [4, 6, 8]. */
function softmax(logits: number[]): number[] {
  const e = logits.map((l) => Math.exp(l - Math.max(...logits)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('onnx-classify', () => {
  it('by name, on a .npy file: the top-k classes, best first, with the hand-computed scores', async () => {
    const r = await runWacs(['run', guest('onnx-classify'), ...bind, '--dir', `${dir}::/data`, '--model', `cls=${join(dir, 'classifier.onnx')}`, '--', 'cls', '/data/x.npy', '--top', '2', '--labels', 'cat,dog,eel']);
    expect(r.stderr).toBe('');
    const p = softmax([4, 6, 8]);
    expect(r.stdout).toBe(`1 2 eel score=8 p=${+p[2]!.toPrecision(5)}\n2 1 dog score=6 p=${+p[1]!.toPrecision(5)}\n`);
  });

  it("computes the same in the guest's thread (the default here) as on the host thread, errors included", async () => {
    const run = (spec: string, input: string) =>
      runWacs(['run', guest('onnx-classify'), ...bind, '--dir', `${dir}::/data`, '--model', `cls=${join(dir, 'classifier.onnx')}${spec}`, '--', 'cls', input, '--top', '3']);
    for (const input of ['/data/x.npy', '/data/short.npy']) {
      const [inThread, onHost] = await Promise.all([run('', input), run(',in_thread=false', input)]);
      expect({ code: inThread.code, stdout: inThread.stdout, stderr: inThread.stderr }).toEqual({ code: onHost.code, stdout: onHost.stdout, stderr: onHost.stderr });
    }
  });

  it('from a preopened .onnx file, on a TensorProto file', async () => {
    const r = await runWacs(['run', guest('onnx-classify'), ...bind, '--dir', `${dir}::/data`, '--', '/data/classifier.onnx', '/data/x.pb', '--top', '3']);
    expect(r.stdout.split('\n').slice(0, 3).map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(['1 2 score=8', '2 1 score=6', '3 0 score=4']);
  });

  it('a wrong input shape fails with the input name and the shape the model expects', async () => {
    const r = await runWacs(['run', guest('onnx-classify'), ...bind, '--dir', `${dir}::/data`, '--', '/data/classifier.onnx', '/data/short.npy']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('wasi-nn error invalid-argument: input "features": got shape [1, 3], but the model expects [1, 4]');
  });
});

describe('graph options from the named-model spec', () => {
  it('are applied, and an unknown key is named in the guest\'s error', async () => {
    const model = `cls=${join(dir, 'classifier.onnx')}`;
    const ok = await runWacs(['run', guest('nn-compute'), ...bind, '--model', `${model},intra_op_threads=1,graph_optimization_level=all,execution_providers=cpu`, '--', 'cls', 'features=FP32:1x4:1,2,3,4']);
    expect(ok.stdout).toContain('logits FP32 [1,3] 4 6 8');
    const bad = await runWacs(['run', guest('nn-compute'), ...bind, '--model', `${model},intra_threads=1`, '--', 'cls', 'features=FP32:1x4:1,2,3,4']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('wasi-nn error invalid-argument: model option: unknown option "intra_threads"');
  });
});
