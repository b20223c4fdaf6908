/** Graph options, declared with core's option kit: from the named-model spec (`--model m=x.onnx,executionProvider=webgpu`) or a load-by-name config. */
import { defineOptions, NnError, type LoadRequest } from '@wacs/core/backend';
import { webgpuAdapter } from './engine.js';

export const onnxWebOptions = defineOptions('onnx-web', {
  executionProvider: { type: 'choice', when: 'load', choices: ['wasm', 'webgpu'], doc: 'the execution provider (default: webgpu for target gpu, else wasm)' },
});

export type Provider = 'wasm' | 'webgpu';

/** The execution provider a load asks for, checked against what the browser gives. */
export async function providerFor(request: LoadRequest): Promise<Provider> {
  const asked = onnxWebOptions.parseLoad(request).values.executionProvider ?? (request.target === 'gpu' ? 'webgpu' : 'wasm');
  if (asked === 'webgpu' && !(await webgpuAdapter())) {
    throw new NnError('unsupported-operation', 'onnx-web: WebGPU was asked for, and this browser gives no WebGPU adapter; use target cpu');
  }
  return asked;
}
