// The same guests (nn-compute, a component; witx-probe, a preview1 module) through the real `wacs run`,
// once with the ONNX model bound locally (backend-onnx) and once with it on an Open Inference
// Protocol server in this process (onnxruntime-node called directly) reached through backend-remote.
// The outputs must be identical.
import { guest, identityModel, linearModel, repoRoot, runWacs } from '@wacs/fixtures';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxDir, remoteDir, tempFile } from './helpers.js';
import { startOipServer } from './servers/oip-server.js';
import type { TestServer } from './servers/http-server.js';

const LINEAR = linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]);
const IDENTITY = identityModel('float', [1, 'N']);
const witxProbe = join(repoRoot, 'guests/preview1/bin/witx-probe.wasm');

let server: TestServer;
let linearPath: string;
let identityPath: string;

beforeAll(async () => {
  linearPath = tempFile('lin.onnx', LINEAR);
  identityPath = tempFile('id.onnx', IDENTITY);
  server = await startOipServer({
    lin: { onnx: LINEAR, inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }] },
    ident: { onnx: IDENTITY, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, -1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [1, -1] }] },
  });
});

afterAll(() => server?.close());

const local = (model: string, path: string, args: string[], wasm = guest('nn-compute')) =>
  runWacs(['run', wasm, '--bind', onnxDir, '--model', `${model}=${path}`, '--', ...args]);
const remote = (model: string, spec: string, args: string[], wasm = guest('nn-compute')) =>
  runWacs(['run', wasm, '--bind', remoteDir, '--model', `${model}=${server.url},backend=remote,protocol=oip${spec}`, '--', ...args]);

describe('backend-remote protocol=oip against an OIP server', () => {
  it('gives nn-compute the same outputs as the model bound locally (JSON tensors)', async () => {
    const args = ['lin', 'x=FP32:2x3:1,2,3,4,5,6'];
    const [here, there] = await Promise.all([local('lin', linearPath, args), remote('lin', '', args)]);
    expect(here).toMatchObject({ code: 0 });
    // y = x·W + b by hand: [1,2,3]·W = [22, 28] + b, [4,5,6]·W = [49, 64] + b.
    expect(here.stdout).toBe('y FP32 [2,2] 22.5 27 49.5 63\ncompute ok\n');
    expect(there).toMatchObject({ code: 0, stdout: here.stdout });
    const infer = server.requests.filter((r) => r.path === '/v2/models/lin/infer').at(-1)!;
    expect(infer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(infer.body.toString())).toEqual({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] });
  });

  it('sends large tensors in the binary tensor extension, and reads binary outputs', async () => {
    const args = ['ident', '--fill', 'x=FP32:1x20000:0.25'];
    const [here, there] = await Promise.all([local('ident', identityPath, args), remote('ident', ',remote-model=ident', args)]);
    expect(here).toMatchObject({ code: 0 });
    expect(there).toMatchObject({ code: 0, stdout: here.stdout });
    const infer = server.requests.filter((r) => r.path === '/v2/models/ident/infer').at(-1)!;
    const headerLength = Number(infer.headers['inference-header-content-length']);
    expect(infer.headers['content-type']).toBe('application/octet-stream');
    const header = JSON.parse(infer.body.subarray(0, headerLength).toString());
    expect(header.inputs).toEqual([{ name: 'x', shape: [1, 20000], datatype: 'FP32', parameters: { binary_data_size: 80000 } }]);
    expect(header.outputs).toEqual([{ name: 'y', parameters: { binary_data: true } }]);
    expect(infer.body.byteLength).toBe(headerLength + 80000);
    expect(new Float32Array(infer.body.buffer.slice(infer.body.byteOffset + headerLength, infer.body.byteOffset + headerLength + 8))).toEqual(Float32Array.of(0.25, 0.25));
  });

  it('gives a preview1 guest (witx, inputs by index) the same outputs as the model bound locally', async () => {
    const args = ['compute', 'lin', 'f32', 'F32:2x3:1,2,3,4,5,6'];
    const [here, there] = await Promise.all([local('lin', linearPath, args, witxProbe), remote('lin', '', args, witxProbe)]);
    expect(here).toMatchObject({ code: 0 });
    expect(here.stdout).toContain('22.5');
    expect(there).toMatchObject({ code: 0, stdout: here.stdout });
  });

  it('registers a remote model from a --models-dir file, under the file\'s name', async () => {
    const file = tempFile('linear.json', new TextEncoder().encode(JSON.stringify({ backend: 'remote', url: server.url, protocol: 'oip', 'remote-model': 'lin' })));
    const r = await runWacs(['run', guest('nn-compute'), '--bind', remoteDir, '--models-dir', dirname(file), '--', 'linear', 'x=FP32:2x3:1,2,3,4,5,6']);
    expect(r).toMatchObject({ code: 0, stdout: 'y FP32 [2,2] 22.5 27 49.5 63\ncompute ok\n' });
  });

  it('reports an unknown remote model at load as not-found, with the server\'s message', async () => {
    const r = await remote('big', ',remote-model=nope', ['big', 'x=FP32:1x3:1,2,3']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not-found/);
    expect(r.stderr).toContain('Model with name nope does not exist.');
  });
});
