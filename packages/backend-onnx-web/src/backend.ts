/**
 * The onnxruntime-web backend: encoding `onnx`, ONNX protobuf models, in a web page (or a Web
 * Worker). onnxruntime-web's WebAssembly execution provider by default; WebGPU where the browser
 * gives an adapter and the guest asks for the GPU (target `gpu`) or the model spec does
 * (`executionProvider=webgpu`).
 */
import {
  fetchModelBytes,
  modelLoadError,
  NnError,
  type Backend,
  type ExecutionContext,
  type FormatProbe,
  type Graph,
  type HardwareVariant,
  type LoadRequest,
  type NamedTensor,
  type Tensor,
} from '@wacs/core/backend';
import * as ort from 'onnxruntime-web';
import { fromOrtTensor, ortTypeOf, toOrtTensor } from './tensors.js';

export interface OnnxWebSettings {
  /** Where onnxruntime-web's dist files (.wasm, .mjs) are served, a URL ending in `/`; default: next to its script. */
  assetsUrl?: string;
  /** WebAssembly threads (default 1: workers and shared memory cost more than they give on small models). */
  numThreads?: number;
}

/** Sets onnxruntime-web's environment; call before the first load. */
export function configure(settings: OnnxWebSettings): void {
  if (settings.assetsUrl) ort.env.wasm.wasmPaths = settings.assetsUrl;
  ort.env.wasm.numThreads = settings.numThreads ?? 1;
}

type Provider = 'wasm' | 'webgpu';
const GRAPH_OPTIONS = new Set(['executionProvider']);

async function webgpuAdapter(): Promise<boolean> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

async function providerFor(request: LoadRequest): Promise<Provider> {
  for (const key of Object.keys(request.options)) {
    if (!GRAPH_OPTIONS.has(key)) throw new NnError('invalid-argument', `onnx-web: unknown graph option "${key}"; known: ${[...GRAPH_OPTIONS].join(', ')}`);
  }
  const asked = request.options.executionProvider ?? (request.target === 'gpu' ? 'webgpu' : 'wasm');
  if (asked !== 'wasm' && asked !== 'webgpu') throw new NnError('invalid-argument', `onnx-web: executionProvider must be "wasm" or "webgpu", not ${JSON.stringify(asked)}`);
  if (asked === 'webgpu' && !(await webgpuAdapter())) {
    throw new NnError('unsupported-operation', 'onnx-web: WebGPU was asked for, and this browser gives no WebGPU adapter; use target cpu');
  }
  return asked;
}

/** The model's declared type and fixed dimensions, checked before the engine sees the tensor. */
function checkInput(session: ort.InferenceSession, name: string, tensor: Tensor): void {
  const declared = session.inputMetadata.find((m) => m.name === name);
  if (!declared?.isTensor) return;
  const type = ortTypeOf(tensor.type);
  if (type && declared.type !== type) {
    throw new NnError('invalid-argument', `onnx-web: input "${name}" is ONNX ${declared.type}, and the guest sent ${tensor.type} (${type})`);
  }
  const { shape } = declared;
  const fits = shape.length === tensor.dimensions.length && shape.every((d, i) => typeof d !== 'number' || d < 0 || d === tensor.dimensions[i]);
  if (!fits) {
    throw new NnError('invalid-argument', `onnx-web: input "${name}" has shape [${shape.join(',')}], and the guest sent [${tensor.dimensions.join(',')}]`);
  }
}

class OnnxWebContext implements ExecutionContext {
  constructor(private readonly session: ort.InferenceSession) {}

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const { inputNames, outputNames } = this.session;
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of inputs) {
      // Preview1 guests name inputs by index.
      const name = inputNames.includes(input.name) ? input.name : /^\d+$/.test(input.name) ? inputNames[Number(input.name)] : undefined;
      if (!name) throw new NnError('invalid-argument', `onnx-web: the model has no input "${input.name}"; its inputs: ${inputNames.join(', ')}`);
      checkInput(this.session, name, input.tensor);
      feeds[name] = toOrtTensor(ort, { name, tensor: input.tensor });
    }
    const missing = inputNames.filter((n) => !(n in feeds));
    if (missing.length) throw new NnError('invalid-argument', `onnx-web: inputs missing: ${missing.join(', ')}`);
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await this.session.run(feeds);
    } catch (e) {
      throw new NnError('runtime-error', `onnx-web: ${(e as Error).message}`, undefined, { cause: e });
    }
    return outputNames.map((name) => fromOrtTensor(name, results[name] as ort.Tensor));
  }

  dispose(): void {}
}

class OnnxWebGraph implements Graph {
  private disposed = false;
  constructor(private readonly session: ort.InferenceSession) {}

  createContext(): ExecutionContext {
    return new OnnxWebContext(this.session);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}

export const onnxWebBackend: Backend = {
  name: 'onnx-web',
  encodings: ['onnx'],
  detect(probe: FormatProbe): boolean {
    return !probe.isDirectory && probe.format === 'onnx';
  },
  async load(request: LoadRequest): Promise<Graph> {
    const provider = await providerFor(request);
    const bytes = await fetchModelBytes(request);
    try {
      return new OnnxWebGraph(await ort.InferenceSession.create(bytes, { executionProviders: [provider] }));
    } catch (e) {
      throw modelLoadError(e, `onnx-web: the model did not load on ${provider}`);
    }
  },
  async hardware(): Promise<HardwareVariant[]> {
    const gpu = await webgpuAdapter();
    return [
      { name: 'wasm', available: true, active: true, detail: `WebAssembly, ${ort.env.wasm.numThreads ?? 1} thread(s)` },
      { name: 'webgpu', available: gpu, detail: gpu ? 'a WebGPU adapter is available (target gpu)' : 'this browser gives no WebGPU adapter' },
    ];
  },
};

