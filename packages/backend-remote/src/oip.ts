/**
 * protocol=oip: a model on an Open Inference Protocol (KServe v2 REST) server, e.g. Triton, KServe,
 * OpenVINO Model Server, MLServer or `wacs serve` with oip-server. Loading checks the model is ready
 * and reads its metadata (input and output names, datatypes, order); each compute is one
 * `POST /v2/models/<name>/infer`, in JSON or, past `binary-threshold` input bytes, in the binary
 * tensor extension (`Inference-Header-Content-Length`).
 */
import { NnError, type ExecutionContext, type Graph, type NamedTensor, type Tensor } from '@wacs/core/backend';
import type { RemoteEndpoint } from './endpoint.js';
import { encodeBinary, isOipDatatype, jsonValues, OIP_TYPE_FOR, outputTensor, sameBytes, tensorValues, type OipDatatype } from './oip-tensors.js';

interface TensorMetadata {
  name: string;
  datatype: OipDatatype;
  shape: number[];
}

export interface OipModelMetadata {
  name: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

interface InferResponse {
  outputs?: Array<{ name: string; datatype: unknown; shape: unknown; data?: unknown; parameters?: { binary_data_size?: unknown } }>;
  error?: string;
}

const HEADER_LENGTH = 'inference-header-content-length';

function parseJson<T>(body: Buffer, what: string): T {
  try {
    return JSON.parse(body.toString()) as T;
  } catch (e) {
    throw new NnError('runtime-error', `${what}: the server sent malformed JSON: ${(e as Error).message}`);
  }
}

function checkTensorList(list: unknown, what: string): TensorMetadata[] {
  if (!Array.isArray(list)) throw new NnError('runtime-error', `${what}: the model metadata has no tensor list`);
  return list.map((t: { name?: unknown; datatype?: unknown; shape?: unknown }) => {
    if (typeof t?.name !== 'string' || !isOipDatatype(t.datatype) || !Array.isArray(t.shape)) {
      throw new NnError('runtime-error', `${what}: the model metadata has a malformed tensor ${JSON.stringify(t)}`);
    }
    return { name: t.name, datatype: t.datatype, shape: t.shape as number[] };
  });
}

export class OipGraph implements Graph {
  private disposed = false;
  private readonly inferPath: string;
  private readonly inferWhat: string;

  constructor(
    readonly endpoint: RemoteEndpoint,
    readonly model: string,
    readonly metadata: OipModelMetadata,
  ) {
    this.inferPath = `/v2/models/${encodeURIComponent(model)}/infer`;
    this.inferWhat = `OIP infer on "${model}" at ${endpoint.describe(this.inferPath)}`;
  }

  static async load(endpoint: RemoteEndpoint, model: string): Promise<OipGraph> {
    const path = `/v2/models/${encodeURIComponent(model)}`;
    const ready = await endpoint.call({ method: 'GET', path: `${path}/ready`, repeatable: true, what: `OIP model "${model}" readiness at ${endpoint.describe(`${path}/ready`)}` });
    // KServe answers 200 with {"ready": bool}; Triton answers 200 with no body when ready.
    const body = ready.body.length ? parseJson<{ ready?: unknown }>(ready.body, 'OIP readiness') : {};
    if (body.ready === false) {
      throw new NnError('runtime-error', `OIP model "${model}" at ${endpoint.base.origin} is not ready yet; try again when the server has loaded it`, 'busy');
    }
    const what = `OIP model "${model}" metadata at ${endpoint.describe(path)}`;
    const reply = await endpoint.call({ method: 'GET', path, repeatable: true, what });
    const json = parseJson<{ name?: unknown; inputs?: unknown; outputs?: unknown }>(reply.body, what);
    return new OipGraph(endpoint, model, { name: String(json.name ?? model), inputs: checkTensorList(json.inputs, what), outputs: checkTensorList(json.outputs, what) });
  }

  createContext(): ExecutionContext {
    return { compute: (inputs) => this.infer(inputs), dispose() {} };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endpoint.dispose();
  }

  /** One inference: guest tensors by name or position, outputs in the model's order. */
  async infer(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const declared = this.metadata.inputs;
    // Some servers cannot describe their models (wacs serve's oip-server: wasi:nn has no model
    // metadata): the guest's inputs then go as they are, named as the guest named them.
    if (declared.length === 0) return this.send(inputs.map(({ name, tensor }) => ({ spec: { name, datatype: OIP_TYPE_FOR[tensor.type], shape: [] }, tensor })));
    const names = declared.map((d) => d.name).join(', ');
    const given = new Map<string, NamedTensor>();
    for (const input of inputs) {
      const index = /^\d+$/.test(input.name) ? Number(input.name) : -1;
      const spec = declared.find((d) => d.name === input.name) ?? declared[index];
      if (!spec) throw new NnError('invalid-argument', `unknown input "${input.name}": the remote model "${this.model}" takes ${names || 'no inputs'} (by name or index)`);
      if (given.has(spec.name)) throw new NnError('invalid-argument', `input "${spec.name}" is given twice`);
      given.set(spec.name, input);
    }
    const missing = declared.filter((d) => !given.has(d.name)).map((d) => d.name);
    if (missing.length) throw new NnError('invalid-argument', `missing input(s) ${missing.join(', ')} of the remote model "${this.model}"`);
    return this.send(declared.map((spec) => ({ spec, tensor: given.get(spec.name)!.tensor })));
  }

  /** Sends the inputs, in this order, with these names and datatypes. */
  private async send(inputs: Array<{ spec: TensorMetadata; tensor: Tensor }>): Promise<NamedTensor[]> {
    const total = inputs.reduce((sum, i) => sum + i.tensor.data.byteLength, 0);
    const binary = total > this.endpoint.options.binaryThreshold;
    const parts: Uint8Array[] = [];
    const requestInputs = inputs.map(({ spec, tensor }) => {
      const datatype = spec.datatype;
      const entry: Record<string, unknown> = { name: spec.name, shape: tensor.dimensions, datatype };
      if (binary) {
        // The guest's bytes go as they are when the types agree; otherwise values are converted and checked.
        const bytes = sameBytes(tensor, datatype) ?? encodeBinary(tensorValues(tensor, datatype, spec.name), datatype, spec.name);
        parts.push(bytes);
        entry.parameters = { binary_data_size: bytes.byteLength };
      } else {
        entry.data = jsonValues(tensorValues(tensor, datatype, spec.name), tensor.type);
      }
      return entry;
    });
    const request: Record<string, unknown> = { inputs: requestInputs };
    if (binary) {
      // Outputs in binary too: by name where the metadata names them, else for every output.
      if (this.metadata.outputs.length) request.outputs = this.metadata.outputs.map((o) => ({ name: o.name, parameters: { binary_data: true } }));
      else request.parameters = { binary_data_output: true };
    }
    const json = JSON.stringify(request);
    const path = this.inferPath;
    const what = this.inferWhat;
    const reply = await this.endpoint.call({
      method: 'POST',
      path,
      body: binary ? Buffer.concat([Buffer.from(json), ...parts]) : json,
      headers: binary
        ? { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(Buffer.byteLength(json)) }
        : { 'content-type': 'application/json' },
      // An inference has no side effects: sending it again is safe.
      repeatable: true,
      what,
    });
    return this.readOutputs(reply.body, reply.headers[HEADER_LENGTH], what);
  }

  private readOutputs(body: Buffer, headerLength: string | string[] | undefined, what: string): NamedTensor[] {
    const jsonLength = headerLength === undefined ? body.byteLength : Number(Array.isArray(headerLength) ? headerLength[0] : headerLength);
    if (!Number.isInteger(jsonLength) || jsonLength < 0 || jsonLength > body.byteLength) {
      throw new NnError('runtime-error', `${what}: the server sent a bad ${HEADER_LENGTH} (${String(headerLength)})`);
    }
    const response = parseJson<InferResponse>(body.subarray(0, jsonLength), what);
    if (!Array.isArray(response.outputs)) throw new NnError('runtime-error', `${what}: the response has no outputs${response.error ? `: ${response.error}` : ''}`);
    let offset = jsonLength;
    const byName = new Map<string, NamedTensor>();
    for (const output of response.outputs) {
      let binary: Uint8Array | undefined;
      const size = output.parameters?.binary_data_size;
      if (size !== undefined) {
        if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || offset + size > body.byteLength) {
          throw new NnError('runtime-error', `${what}: output "${output.name}" claims ${String(size)} binary bytes, past the end of the response`);
        }
        binary = body.subarray(offset, offset + size);
        offset += size;
      }
      byName.set(output.name, { name: output.name, tensor: outputTensor(output, binary, what) });
    }
    // The model's order (preview1 guests read outputs by index), then anything else the server sent.
    const ordered = this.metadata.outputs.map((o) => byName.get(o.name)).filter((o): o is NamedTensor => o !== undefined);
    for (const [name, output] of byName) if (!this.metadata.outputs.some((o) => o.name === name)) ordered.push(output);
    return ordered;
  }
}
