// wasi:nn tensor types <-> OIP datatypes, through an OIP server backed by onnxruntime-node, in JSON
// and in the binary extension (binary-threshold=0). Expected values are computed by hand.
import { tensorFrom, tensorView, type Graph, type NamedTensor, type Tensor } from '@wacs/core';
import { addModel, castModel, identityModel } from '@wacs/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteBackend } from '../src/index.js';
import { startOipServer } from './servers/oip-server.js';
import type { TestServer } from './servers/http-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startOipServer({
    addI64: { onnx: addModel('int64', [2]), inputs: [{ name: 'a', datatype: 'INT64', shape: [2] }, { name: 'b', datatype: 'INT64', shape: [2] }], outputs: [{ name: 'sum', datatype: 'INT64', shape: [2] }] },
    addF16: { onnx: addModel('float16', [2]), inputs: [{ name: 'a', datatype: 'FP16', shape: [2] }, { name: 'b', datatype: 'FP16', shape: [2] }], outputs: [{ name: 'sum', datatype: 'FP16', shape: [2] }] },
    toBool: { onnx: castModel('float', 'bool', [3]), inputs: [{ name: 'x', datatype: 'FP32', shape: [3] }], outputs: [{ name: 'y', datatype: 'BOOL', shape: [3] }] },
    int8: { onnx: identityModel('int8', [3]), inputs: [{ name: 'x', datatype: 'INT8', shape: [3] }], outputs: [{ name: 'y', datatype: 'INT8', shape: [3] }] },
    // A server that cannot describe its model (as wacs serve's oip-server): no input or output list.
    anon: { onnx: addModel('uint8', [2]), inputs: [], outputs: [] },
    u8: { onnx: addModel('uint8', [2]), inputs: [{ name: 'a', datatype: 'UINT8', shape: [2] }, { name: 'b', datatype: 'UINT8', shape: [2] }], outputs: [{ name: 'sum', datatype: 'UINT8', shape: [2] }] },
  });
});
afterAll(() => server?.close());

const graphs: Graph[] = [];
afterAll(async () => {
  for (const g of graphs) await g.dispose();
});

async function compute(model: string, inputs: NamedTensor[], binary: boolean): Promise<Tensor> {
  const graph = await remoteBackend.load({
    source: { kind: 'path', path: server.url },
    encoding: 'autodetect',
    target: 'auto',
    options: { protocol: 'oip', 'remote-model': model, 'binary-threshold': binary ? 0 : 1 << 20 },
    name: model,
  });
  graphs.push(graph);
  const [output] = await (await graph.createContext()).compute(inputs);
  return output!.tensor;
}

const f16 = (bits: number[]) => tensorFrom('FP16', [bits.length], Uint16Array.from(bits));

describe.each([false, true])('OIP datatypes (binary: %s)', (binary) => {
  it('INT64 stays I64, exactly', async () => {
    const out = await compute('addI64', [{ name: 'a', tensor: tensorFrom('I64', [2], BigInt64Array.of(40n, -7n)) }, { name: '1', tensor: tensorFrom('I64', [2], BigInt64Array.of(2n, 3n)) }], binary);
    expect(out.type).toBe('I64');
    expect(Array.from(tensorView(out) as BigInt64Array)).toEqual([42n, -4n]);
  });

  it('FP16 stays FP16 (bits: 1.5 + 0.25 = 1.75, -2 + 1 = -1)', async () => {
    const out = await compute('addF16', [{ name: 'a', tensor: f16([0x3e00, 0xc000]) }, { name: 'b', tensor: f16([0x3400, 0x3c00]) }], binary);
    expect(out).toMatchObject({ type: 'FP16', dimensions: [2] });
    expect(Array.from(tensorView(out) as Uint16Array)).toEqual([0x3f00, 0xbc00]);
  });

  it('BOOL arrives as U8 0/1', async () => {
    const out = await compute('toBool', [{ name: 'x', tensor: tensorFrom('FP32', [3], Float32Array.of(0, 2.5, -1)) }], binary);
    expect(out).toMatchObject({ type: 'U8', dimensions: [3] });
    expect(Array.from(out.data)).toEqual([0, 1, 1]);
  });

  it('INT8 travels as I32, range-checked on the way in', async () => {
    const out = await compute('int8', [{ name: 'x', tensor: tensorFrom('I32', [3], Int32Array.of(-128, 0, 127)) }], binary);
    expect(out.type).toBe('I32');
    expect(Array.from(tensorView(out) as Int32Array)).toEqual([-128, 0, 127]);
    await expect(compute('int8', [{ name: 'x', tensor: tensorFrom('I32', [3], Int32Array.of(1, 200, 3)) }], binary)).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringContaining('200 is out of the range of OIP INT8 (-128..127)'),
    });
    await expect(compute('int8', [{ name: 'x', tensor: tensorFrom('FP32', [3], Float32Array.of(1, 2, 3)) }], binary)).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringContaining('the server takes OIP INT8; send I32 with values -128..127, not FP32'),
    });
  });

  it('UINT8 is U8', async () => {
    const out = await compute('u8', [{ name: 'a', tensor: tensorFrom('U8', [2], Uint8Array.of(200, 1)) }, { name: 'b', tensor: tensorFrom('U8', [2], Uint8Array.of(55, 2)) }], binary);
    expect(out.type).toBe('U8');
    expect(Array.from(out.data)).toEqual([255, 3]);
  });

  it('sends inputs as the guest named them when the server lists none', async () => {
    const out = await compute('anon', [{ name: 'a', tensor: tensorFrom('U8', [2], Uint8Array.of(7, 1)) }, { name: 'b', tensor: tensorFrom('U8', [2], Uint8Array.of(3, 2)) }], binary);
    expect(out.type).toBe('U8');
    expect(Array.from(out.data)).toEqual([10, 3]);
  });

  it('names unknown and missing inputs', async () => {
    await expect(compute('u8', [{ name: 'a', tensor: tensorFrom('U8', [2], Uint8Array.of(1, 2)) }], binary)).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('missing input(s) b') });
    await expect(compute('u8', [{ name: 'c', tensor: tensorFrom('U8', [2], Uint8Array.of(1, 2)) }], binary)).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('takes a, b (by name or index)') });
  });
});
