// guests/oip-server under wacs serve: the Open Inference Protocol (KServe v2) REST API, checked
// against the protocol's request/response shapes and against onnxruntime-node run directly on the
// same ONNX models (made in code). mnist from ../shared when present.
import onnx from '@wacs/backend-onnx';
import { BackendRegistry, ModelRegistry, NnHost, startServer, type WacsServer } from '@wacs/core';
import { addModel, guest, linearModel, sharedModel, type OnnxType } from '@wacs/fixtures';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const mnist = sharedModel('onnx/mnist.onnx');
const dir = mkdtempSync(join(tmpdir(), 'wacs-oip-'));
/** OIP datatype → the ONNX element type of an Add model, and the onnxruntime tensor type. */
const TYPES: Array<[string, OnnxType, ort.Tensor.Type]> = [
  ['FP32', 'float', 'float32'],
  ['FP64', 'double', 'float64'],
  ['INT32', 'int32', 'int32'],
  ['INT64', 'int64', 'int64'],
  ['UINT8', 'uint8', 'uint8'],
  ['FP16', 'float16', 'float16'],
];
let server: WacsServer;

/** IEEE half bits of a positive integer below 2048 (exact), and a half's value: written out by hand. */
function halfBits(v: number): number {
  const e = Math.floor(Math.log2(v));
  return ((e + 15) << 10) | Math.round((v / 2 ** e - 1) * 1024);
}
function halfValue(bits: number): number {
  const e = (bits >> 10) & 0x1f;
  return e === 0 ? (bits & 0x3ff) * 2 ** -24 : (1 + (bits & 0x3ff) / 1024) * 2 ** (e - 15);
}

beforeAll(async () => {
  const backends = new BackendRegistry();
  backends.register(onnx);
  const models = new ModelRegistry();
  writeFileSync(join(dir, 'linear.onnx'), linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
  models.add('linear', { path: join(dir, 'linear.onnx') });
  for (const [datatype, type] of TYPES) {
    writeFileSync(join(dir, `add-${datatype}.onnx`), addModel(type, [2, 2]));
    models.add(`add-${datatype}`, { path: join(dir, `add-${datatype}.onnx`) });
  }
  if (mnist) models.add('mnist', { path: mnist });
  server = await startServer(new Uint8Array(readFileSync(guest('oip-server'))), new NnHost(backends, models, { log: () => {} }), { port: 0, log: 'off', instances: 2 });
});
afterAll(() => server?.close());

async function call(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${server.url}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** onnxruntime-node directly on the same file: the oracle. */
async function direct(path: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('oip-server: health and metadata', () => {
  it('is live and ready', async () => {
    expect(await call('/v2/health/live')).toEqual({ status: 200, json: { live: true } });
    expect(await call('/v2/health/ready')).toEqual({ status: 200, json: { ready: true } });
  });

  it('reports a registered model ready, with the metadata wasi:nn can give (no input list)', async () => {
    expect(await call('/v2/models/linear/ready')).toEqual({ status: 200, json: { name: 'linear', ready: true } });
    const meta = await call('/v2/models/linear');
    expect(meta.status).toBe(200);
    expect(meta.json).toEqual({ name: 'linear', versions: [], platform: 'wasi-nn', inputs: [], outputs: [] });
  });

  it('an unknown model is 404 with an error message', async () => {
    const r = await call('/v2/models/nope/ready');
    expect(r.status).toBe(404);
    expect(r.json.error).toMatch(/nope/);
  });
});

describe('oip-server: infer', () => {
  it("answers the protocol's request shape (id, named inputs, requested outputs) with the values onnxruntime computes", async () => {
    // The v2 protocol's example request, with this model's input name and shape.
    const request = { id: '42', inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [[1, 2, 3], [4, 5, 6]] }], outputs: [{ name: 'y' }] };
    const r = await call('/v2/models/linear/infer', request);
    expect(r.status).toBe(200);
    const expected = await direct(join(dir, 'linear.onnx'), { x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]) });
    expect(r.json).toEqual({ model_name: 'linear', id: '42', outputs: [{ name: 'y', shape: [2, 2], datatype: 'FP32', data: Array.from(expected.y!.data as Float32Array) }] });
  });

  for (const [datatype, , ortType] of TYPES) {
    it(`${datatype} tensors in and out equal onnxruntime-node's`, async () => {
      const a = [1, 2, 3, 100];
      const b = [4, 5, 6, 27];
      const r = await call(`/v2/models/add-${datatype}/infer`, {
        inputs: [
          { name: 'a', shape: [2, 2], datatype, data: a },
          { name: 'b', shape: [2, 2], datatype, data: b },
        ],
      });
      expect(r.status).toBe(200);
      const output = (r.json.outputs as Array<{ name: string; shape: number[]; datatype: string; data: number[] }>)[0]!;
      expect(output).toMatchObject({ name: 'sum', shape: [2, 2], datatype });
      const make = (values: number[]) =>
        ortType === 'int64'
          ? new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [2, 2])
          : ortType === 'float16'
            ? new ort.Tensor('float16', Uint16Array.from(values, halfBits), [2, 2])
            : new ort.Tensor(ortType, values as never, [2, 2]);
      const sum = (await direct(join(dir, `add-${datatype}.onnx`), { a: make(a), b: make(b) })).sum!;
      const expected =
        ortType === 'int64' ? Array.from(sum.data as BigInt64Array, Number) : ortType === 'float16' ? Array.from(sum.data as Uint16Array, halfValue) : Array.from(sum.data as ArrayLike<number>);
      expect(output.data).toEqual(expected);
    });
  }

  it('bad requests are 400 with a reason: wrong element count, BYTES, unknown datatype, data of the wrong kind, an unknown output, not JSON', async () => {
    const bad = async (body: unknown, pattern: RegExp) => {
      const r = await call('/v2/models/linear/infer', body);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(pattern);
    };
    await bad({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3] }] }, /holds 6 elements, data has 3/);
    await bad({ inputs: [{ name: 'x', shape: [1], datatype: 'BYTES', data: ['hi'] }] }, /BYTES has no wasi:nn tensor type/);
    await bad({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'UINT32', data: [1, 2, 3] }] }, /datatype must be one of/);
    await bad({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }], outputs: [{ name: 'z' }] }, /unknown output "z"/);
    // Data that JSON can hold but a numeric tensor cannot: strings, null, booleans, fractions for an integer type.
    await bad({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, '2', 3] }] }, /FP32 data must be finite numbers/);
    await bad({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [[1, null, 3]] }] }, /FP32 data must be finite numbers/);
    await bad({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, true, 3] }] }, /FP32 data must be finite numbers/);
    await bad({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'INT32', data: [1, 2.5, 3] }] }, /INT32 data must be integers/);
    const r = await fetch(`${server.url}/v2/models/linear/infer`, { method: 'POST', body: '{' });
    expect(r.status).toBe(400);
  });

  it('infer on an unknown model is 404', async () => {
    const r = await call('/v2/models/nope/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] });
    expect(r.status).toBe(404);
  });
});

describe.skipIf(!mnist)('oip-server with mnist (../shared)', () => {
  it('classifies like onnxruntime-node run directly on the same file', async () => {
    const pixels = Array.from({ length: 28 * 28 }, (_, i) => ((i * 37) % 255) / 255);
    const r = await call('/v2/models/mnist/infer', { inputs: [{ name: 'Input3', shape: [1, 1, 28, 28], datatype: 'FP32', data: pixels }] });
    expect(r.status).toBe(200);
    const expected = await direct(mnist!, { Input3: new ort.Tensor('float32', Float32Array.from(pixels), [1, 1, 28, 28]) });
    const output = (r.json.outputs as Array<{ name: string; shape: number[]; data: number[] }>)[0]!;
    expect(output.name).toBe('Plus214_Output_0');
    expect(output.shape).toEqual([1, 10]);
    expect(output.data).toEqual(Array.from(expected.Plus214_Output_0!.data as Float32Array));
  });
});
