/**
 * A minimal Open Inference Protocol (KServe v2 REST) server for tests, backed by onnxruntime-node
 * called directly: health, model readiness, metadata, and infer in JSON or with the binary tensor
 * extension (`Inference-Header-Content-Length`, in both directions). It is an independent
 * implementation of the protocol, so what the backend sends is checked by a real parser.
 */
import { floatToHalf, halfToFloat } from '@wacs/core';
import * as ort from 'onnxruntime-node';
import { sendJson, startServer, type TestServer } from './http-server.js';

const ORT_TO_OIP: Record<string, string> = {
  float32: 'FP32', float16: 'FP16', float64: 'FP64', uint8: 'UINT8', int8: 'INT8', int16: 'INT16', uint16: 'UINT16',
  int32: 'INT32', int64: 'INT64', uint32: 'UINT32', uint64: 'UINT64', bool: 'BOOL',
};
const OIP_TO_ORT = Object.fromEntries(Object.entries(ORT_TO_OIP).map(([k, v]) => [v, k])) as Record<string, ort.Tensor.Type>;
const ARRAYS: Record<string, { new (values: ArrayLike<number> | ArrayLike<bigint> | ArrayBufferLike, offset?: number, length?: number): ArrayBufferView; BYTES_PER_ELEMENT: number }> = {
  float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int8: Int8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, int64: BigInt64Array as never, uint32: Uint32Array, uint64: BigUint64Array as never, bool: Uint8Array, float16: Uint16Array,
};

export interface OipModel {
  /** Model bytes (ONNX). */
  onnx: Uint8Array;
  /** Datatypes and shapes for the metadata ( -1 for dynamic dims). */
  inputs: Array<{ name: string; datatype: string; shape: number[] }>;
  outputs: Array<{ name: string; datatype: string; shape: number[] }>;
}

export async function startOipServer(models: Record<string, OipModel>): Promise<TestServer> {
  const sessions = new Map<string, ort.InferenceSession>();
  for (const [name, model] of Object.entries(models)) {
    sessions.set(name, await ort.InferenceSession.create(model.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 }));
  }
  return startServer(async (request, res) => {
    const path = request.path;
    if (path === '/v2/health/ready' || path === '/v2/health/live') return sendJson(res, 200, { ready: true });
    const match = /^\/v2\/models\/([^/]+)(\/ready|\/infer)?$/.exec(path);
    if (!match) return sendJson(res, 404, { error: `no route ${path}` });
    const name = decodeURIComponent(match[1]!);
    const model = models[name];
    if (!model) return sendJson(res, 404, { error: `Model with name ${name} does not exist.` });
    if (match[2] === '/ready') return sendJson(res, 200, { name, ready: true });
    if (!match[2]) return sendJson(res, 200, { name, versions: ['1'], platform: 'onnxruntime_onnx', inputs: model.inputs, outputs: model.outputs });
    if (request.method !== 'POST') return sendJson(res, 405, { error: 'POST infer' });

    const headerLength = request.headers['inference-header-content-length'];
    const jsonLength = headerLength === undefined ? request.body.byteLength : Number(headerLength);
    const body = JSON.parse(request.body.subarray(0, jsonLength).toString()) as {
      inputs: Array<{ name: string; shape: number[]; datatype: string; data?: number[]; parameters?: { binary_data_size?: number } }>;
      outputs?: Array<{ name: string; parameters?: { binary_data?: boolean } }>;
      parameters?: { binary_data_output?: boolean };
    };
    let offset = jsonLength;
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of body.inputs) {
      const type = OIP_TO_ORT[input.datatype];
      if (!type) return sendJson(res, 400, { error: `unsupported datatype ${input.datatype}` });
      const Array_ = ARRAYS[type]!;
      let data: ArrayBufferView;
      const size = input.parameters?.binary_data_size;
      if (size !== undefined) {
        const bytes = request.body.subarray(offset, offset + size);
        offset += size;
        data = new Array_(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + size) as ArrayBuffer);
      } else {
        const values = input.data ?? [];
        // JSON carries values; FP16 tensors hold half-precision bits.
        if (type === 'float16') data = Uint16Array.from(values, floatToHalf);
        else data = type === 'int64' || type === 'uint64' ? new Array_(values.map((v) => BigInt(v)) as never) : new Array_(values);
      }
      try {
        feeds[input.name] = new ort.Tensor(type === 'float16' ? 'float16' : type, data as never, input.shape);
      } catch (e) {
        return sendJson(res, 400, { error: `input ${input.name}: ${(e as Error).message}` });
      }
    }
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await sessions.get(name)!.run(feeds);
    } catch (e) {
      return sendJson(res, 400, { error: (e as Error).message });
    }
    const session = sessions.get(name)!;
    const binary = new Set((body.outputs ?? []).filter((o) => o.parameters?.binary_data).map((o) => o.name));
    if (body.parameters?.binary_data_output) for (const n of session.outputNames) binary.add(n);
    const parts: Buffer[] = [];
    const outputs = session.outputNames.map((outputName) => {
      const tensor = results[outputName] as ort.Tensor;
      const entry: Record<string, unknown> = { name: outputName, datatype: ORT_TO_OIP[tensor.type], shape: tensor.dims };
      const data = tensor.data as ArrayBufferView;
      if (binary.has(outputName)) {
        const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        parts.push(bytes);
        entry.parameters = { binary_data_size: bytes.byteLength };
      } else {
        entry.data = tensor.type === 'float16' ? Array.from(data as Uint16Array, halfToFloat) : Array.from(data as unknown as ArrayLike<number | bigint>, Number);
      }
      return entry;
    });
    const json = Buffer.from(JSON.stringify({ model_name: name, outputs }));
    const headers: Record<string, string> = { 'content-type': parts.length ? 'application/octet-stream' : 'application/json' };
    if (parts.length) headers['inference-header-content-length'] = String(json.byteLength);
    const all = Buffer.concat([json, ...parts]);
    headers['content-length'] = String(all.byteLength);
    res.writeHead(200, headers);
    res.end(all);
  });
}
