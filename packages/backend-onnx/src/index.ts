/**
 * @wacs/backend-onnx: ONNX models through onnxruntime-node.
 * Encoding `onnx`; loads `.onnx` files by name (external `.onnx.data` beside them works) and bytes
 * from guests.
 */
import type { Backend, FormatProbe, HardwareVariant, LoadRequest } from '@wacs/core';
import { ort } from './engine.js';
import { createSession, OnnxGraph } from './session.js';

export { createSession, executionProviders, modelInputName, OnnxContext, OnnxGraph } from './session.js';
export { toOrtTensor, fromOrtTensor } from './tensors.js';
export { ort } from './engine.js';

export const onnxBackend: Backend = {
  name: 'onnx',
  encodings: ['onnx'],
  detect(probe: FormatProbe): boolean {
    return !probe.isDirectory && probe.format === 'onnx';
  },
  async load(request: LoadRequest) {
    return new OnnxGraph(await createSession(request));
  },
  async hardware(): Promise<HardwareVariant[]> {
    const { listSupportedBackends } = await ort();
    return listSupportedBackends()
      .filter((b) => b.name !== 'webgpu')
      .map((b) => ({
        name: b.name,
        available: b.bundled,
        active: b.name === 'cpu',
        detail: b.bundled ? 'bundled with onnxruntime-node' : 'needs the CUDA binaries from onnxruntime-node\'s install script',
      }));
  },
};

export default onnxBackend;
