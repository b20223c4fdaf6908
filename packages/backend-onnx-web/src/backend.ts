/**
 * The onnxruntime-web backend: encoding `onnx`, ONNX protobuf models, in a web page (or a Web
 * Worker). onnxruntime-web's WebAssembly execution provider by default; WebGPU where the browser
 * gives an adapter and the guest asks for the GPU (target `gpu`) or the model spec does
 * (`executionProvider=webgpu`).
 */
import { fetchModelBytes, modelLoadError, type Backend, type FormatProbe, type Graph, type HardwareVariant, type LoadRequest } from '@wacs/core/backend';
import { ort, webgpuAdapter } from './engine.js';
import { OnnxWebGraph } from './graph.js';
import { onnxWebOptions, providerFor } from './options.js';

export const onnxWebBackend: Backend = {
  name: 'onnx-web',
  encodings: ['onnx'],
  options: onnxWebOptions,
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

