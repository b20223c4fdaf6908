// oip-server: the Open Inference Protocol (KServe v2) REST API over wasi:nn, a wasi:http service for
// `wacs serve` with tensor models (onnx, tfjs, classic backends) registered by name:
//
//   wacs serve oip-server.wasm --model mnist=./mnist.onnx
//
//   GET  /v2/health/live, /v2/health/ready      {"live": true}, {"ready": true}
//   GET  /v2                                     server metadata
//   GET  /v2/models/{name}[/versions/{v}]        model metadata
//   GET  /v2/models/{name}[/versions/{v}]/ready  {"name", "ready": true}; 404 for an unknown model
//   POST /v2/models/{name}[/versions/{v}]/infer  JSON tensors in and out
//
// What wasi:nn cannot tell a guest, the metadata leaves empty: a graph's input and output names,
// types and shapes (`inputs` and `outputs` are []), and model versions (one, unnamed). Datatypes:
// FP16, FP32, FP64, UINT8, INT32, INT64 map onto wasi:nn tensor types; BOOL is sent as UINT8 (0/1),
// which only a model that takes uint8 accepts; BYTES has no wasi:nn tensor type and is refused (400).
import type { IncomingRequest, ResponseOutparam } from 'wasi:http/types@0.2.3';
import { bodyText, drop, readRequest, respondJson, type Request } from '../lib/http.js';
import { loadByName, Tensor, type Graph, type GraphExecutionContext, type TensorType } from '../lib/nn.js';

class OipError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

/** OIP datatype → wasi:nn tensor type, and the typed array that holds its elements. */
const DATATYPES: Record<string, { type: TensorType; array: 'Uint8Array' | 'Int32Array' | 'BigInt64Array' | 'Float32Array' | 'Float64Array' | 'Uint16Array' }> = {
  BOOL: { type: 'U8', array: 'Uint8Array' },
  UINT8: { type: 'U8', array: 'Uint8Array' },
  INT32: { type: 'I32', array: 'Int32Array' },
  INT64: { type: 'I64', array: 'BigInt64Array' },
  FP16: { type: 'FP16', array: 'Uint16Array' },
  FP32: { type: 'FP32', array: 'Float32Array' },
  FP64: { type: 'FP64', array: 'Float64Array' },
};
const OUTPUT_DATATYPES: Record<string, string> = { U8: 'UINT8', I32: 'INT32', I64: 'INT64', FP16: 'FP16', FP32: 'FP32', FP64: 'FP64', BF16: 'BF16' };

function nnCode(e: unknown): string | undefined {
  const payload = (e as { payload?: { code?: () => string } }).payload;
  return typeof payload?.code === 'function' ? payload.code() : undefined;
}

function nnMessage(e: unknown): string {
  const payload = (e as { payload?: { data?: () => string } }).payload;
  return typeof payload?.data === 'function' ? payload.data() : String(e instanceof Error ? e.message : e);
}

function loadModel(name: string): Graph {
  try {
    return loadByName(name);
  } catch (e) {
    if (nnCode(e) === 'not-found') throw new OipError(404, `model '${name}' is not available`);
    throw new OipError(500, `model '${name}' failed to load: ${nnMessage(e)}`);
  }
}

/** A wasi:nn failure as the OIP status it deserves: the client's fault (400) or the server's (500). */
function nnFailure(e: unknown): OipError {
  const code = nnCode(e);
  return new OipError(code === 'invalid-argument' || code === 'too-large' ? 400 : 500, nnMessage(e));
}

/**
 * Each model's graph and execution context, kept for the requests that follow: an instance reused
 * across requests (`wacs serve --reuse-instances`) loads a model once. Loading it, making its
 * context and dropping both again took four round trips to the host, about 450 µs a request. A
 * fresh instance starts with none, and the host releases them with it.
 */
const models = new Map<string, { graph: Graph; context: GraphExecutionContext }>();

function model(name: string): { graph: Graph; context: GraphExecutionContext } {
  let found = models.get(name);
  if (!found) {
    const graph = loadModel(name);
    let context: GraphExecutionContext;
    try {
      context = graph.initExecutionContext();
    } catch (e) {
      drop(graph);
      throw nnFailure(e);
    }
    models.set(name, (found = { graph, context }));
  }
  return found;
}

/** Lets a model's graph and context go (after a failed compute: the next request starts afresh). */
function forget(name: string): void {
  const found = models.get(name);
  models.delete(name);
  if (found) {
    drop(found.context);
    drop(found.graph);
  }
}

/** IEEE half precision from a number (round to nearest even), and back. */
function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  const mantissa = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const m = (mantissa | 0x800000) >>> (1 - exponent);
    return sign | ((m + 0xfff + ((m >>> 13) & 1)) >>> 13);
  }
  const rounded = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  return sign | (rounded + (rest > 0x1000 || (rest === 0x1000 && rounded & 1) ? 1 : 0));
}

function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

// The data is checked through its JSON text (JSON.stringify and a regular expression run as native
// code) instead of element by element: StarlingMonkey interprets this JavaScript, and its own Array
// methods (flat, every) are JavaScript too. For mnist's 784 numbers, flat and every took about 280 µs
// a request, the text about 90.

/** JSON text of finite numbers and arrays of them, as JSON.stringify writes it (no quotes, letters or null). */
const FINITE_NUMBERS = /^[\d,.e+\-[\]]*$/;
/** The same, integers only: JSON.stringify writes every integer below 1e21 in plain digits. */
const INTEGERS = /^[\d,\-[\]]*$/;

/** The elements of `data`, flattened; `text` is its JSON text. */
function flatten(data: unknown, text: string | undefined): unknown[] {
  if (!Array.isArray(data)) return [data];
  return text !== undefined && text.indexOf('[', 1) < 0 ? data : data.flat(Infinity);
}

function inputTensor(input: Json, at: number): [string, Tensor] {
  const where = `inputs[${at}]`;
  if (typeof input.name !== 'string') throw new OipError(400, `${where}.name must be a string`);
  const shape = input.shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || (d as number) < 0)) throw new OipError(400, `${where}.shape must be an array of non-negative integers`);
  const datatype = input.datatype;
  if (datatype === 'BYTES') throw new OipError(400, `${where}: datatype BYTES has no wasi:nn tensor type`);
  const spec = typeof datatype === 'string' ? DATATYPES[datatype] : undefined;
  if (!spec) throw new OipError(400, `${where}.datatype must be one of ${Object.keys(DATATYPES).join(', ')}`);
  const text = JSON.stringify(input.data) as string | undefined;
  const values = flatten(input.data, text);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new OipError(400, `${where}: shape ${JSON.stringify(shape)} holds ${count} elements, data has ${values.length}`);
  let typed;
  if (datatype === 'BOOL') {
    if (values.some((v) => typeof v !== 'boolean')) throw new OipError(400, `${where}: BOOL data must be true or false`);
    typed = Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0));
  } else {
    if (text === undefined || !FINITE_NUMBERS.test(text)) throw new OipError(400, `${where}: ${datatype} data must be finite numbers`);
    const numbers = values as number[];
    if (spec.type !== 'FP32' && spec.type !== 'FP64' && spec.type !== 'FP16' && !INTEGERS.test(text)) {
      throw new OipError(400, `${where}: ${datatype} data must be integers`);
    }
    if (spec.array === 'BigInt64Array') typed = BigInt64Array.from(numbers, (v) => BigInt(v));
    else if (spec.array === 'Uint16Array') typed = Uint16Array.from(numbers, toHalf);
    else typed = new globalThis[spec.array](numbers);
  }
  return [input.name, new Tensor(new Uint32Array(shape as number[]), spec.type, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength))];
}

function outputJson(name: string, tensor: Tensor): Json {
  const type = tensor.ty();
  const bytes = tensor.data().slice(); // aligned copy
  let data: unknown[];
  switch (type) {
    case 'U8':
      data = Array.from(bytes);
      break;
    case 'I32':
      data = Array.from(new Int32Array(bytes.buffer));
      break;
    case 'I64':
      data = Array.from(new BigInt64Array(bytes.buffer), (v) => Number(v));
      break;
    case 'FP16':
      data = Array.from(new Uint16Array(bytes.buffer), fromHalf);
      break;
    case 'BF16':
      data = Array.from(new Uint16Array(bytes.buffer), (v) => new Float32Array(new Uint32Array([v << 16]).buffer)[0]!);
      break;
    case 'FP64':
      data = Array.from(new Float64Array(bytes.buffer));
      break;
    default:
      data = Array.from(new Float32Array(bytes.buffer));
  }
  return { name, shape: Array.from(tensor.dimensions()), datatype: OUTPUT_DATATYPES[type] ?? type, data };
}

function infer(name: string, request: Request): Json {
  let body: Json;
  try {
    body = JSON.parse(bodyText(request)) as Json;
  } catch {
    throw new OipError(400, 'the request body is not valid JSON');
  }
  if (!body || typeof body !== 'object' || !Array.isArray(body.inputs) || body.inputs.length === 0) {
    throw new OipError(400, "'inputs' must be a non-empty array of tensors");
  }
  const inputs = (body.inputs as Json[]).map(inputTensor);
  const wanted = Array.isArray(body.outputs) ? (body.outputs as Array<{ name?: unknown }>).map((o) => o.name) : undefined;
  let outputs: Array<[string, Tensor]>;
  try {
    outputs = model(name).context.compute(inputs);
  } catch (e) {
    if (e instanceof OipError) throw e;
    forget(name);
    throw nnFailure(e);
  }
  try {
    let chosen = outputs;
    if (wanted) {
      const missing = wanted.filter((w) => !outputs.some(([n]) => n === w));
      if (missing.length) throw new OipError(400, `unknown output ${JSON.stringify(missing[0])}: the model's outputs are ${outputs.map(([n]) => n).join(', ')}`);
      chosen = outputs.filter(([n]) => wanted.includes(n));
    }
    return { model_name: name, ...(typeof body.id === 'string' ? { id: body.id } : {}), outputs: chosen.map(([n, t]) => outputJson(n, t)) };
  } finally {
    for (const [, tensor] of outputs) drop(tensor);
  }
}

function route(request: Request): Json {
  const { method, path } = request;
  const get = () => {
    if (method !== 'GET') throw new OipError(405, `${path} takes GET`);
  };
  if (path === '/v2/health/live') return get(), { live: true };
  if (path === '/v2/health/ready') return get(), { ready: true };
  if (path === '/v2') return get(), { name: 'wacs-oip-server', version: '0.1.0', extensions: [] };
  const match = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/.exec(path);
  if (!match) throw new OipError(404, `no route ${method} ${path}`);
  const name = decodeURIComponent(match[1]!);
  const action = match[3];
  if (action === '/infer') {
    if (method !== 'POST') throw new OipError(405, `${path} takes POST`);
    return infer(name, request);
  }
  get();
  model(name); // 404 for a model the host does not have
  if (action === '/ready') return { name, ready: true };
  // wasi:nn tells a guest nothing about a graph's inputs and outputs: they are left empty.
  return { name, versions: [], platform: 'wasi-nn', inputs: [], outputs: [] };
}

export const incomingHandler = {
  handle(incoming: IncomingRequest, outparam: ResponseOutparam): void {
    const request = readRequest(incoming);
    try {
      respondJson(outparam, 200, route(request));
    } catch (e) {
      const error = e instanceof OipError ? e : new OipError(500, e instanceof Error ? e.message : String(e));
      respondJson(outparam, error.status, { error: error.message });
    }
  },
};
