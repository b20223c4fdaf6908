/**
 * The wllama backend: encoding `ggml`, GGUF language models, in a web page, on llama.cpp compiled
 * to WebAssembly (@wllama/wllama). The guest-facing contract is backend-llama's: a prompt and
 * `metadata` options in, the text and usage JSON out, tokens streamed through the wacs:stream step
 * or printed as they come with `stream-stdout`.
 */
import { modelLoadError, NnError, type Backend, type FormatProbe, type Graph, type HardwareVariant, type LoadRequest } from '@wacs/core/backend';
import { WllamaGraph } from './graph.js';
import { parseLoadOptions, wllamaOptions } from './options.js';

async function modelBlob(request: LoadRequest): Promise<Blob> {
  const { source } = request;
  if (source.kind === 'bytes') return new Blob(source.builders as BlobPart[]);
  let response: Response;
  try {
    response = await fetch(source.path);
  } catch (e) {
    throw new NnError('not-found', `wllama: model ${source.path} could not be fetched: ${(e as Error).message}`);
  }
  if (!response.ok) throw new NnError('not-found', `wllama: model ${source.path}: the server answered ${response.status}`);
  return response.blob();
}

const isolated = () => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

export const wllamaBackend: Backend = {
  name: 'wllama',
  encodings: ['ggml'],
  options: wllamaOptions,
  detect(probe: FormatProbe): boolean {
    return !probe.isDirectory && probe.format === 'gguf';
  },
  async load(request: LoadRequest): Promise<Graph> {
    if (request.target === 'gpu' || request.target === 'tpu') {
      throw new NnError('unsupported-operation', `wllama: this backend runs on WebAssembly (the CPU); target ${request.target} is not offered`);
    }
    const options = parseLoadOptions(request);
    const model = await modelBlob(request);
    try {
      return await WllamaGraph.open(model, options);
    } catch (e) {
      throw modelLoadError(e, 'wllama: llama.cpp did not load the model');
    }
  },
  async hardware(): Promise<HardwareVariant[]> {
    return [
      {
        name: 'wasm',
        available: true,
        active: true,
        detail: isolated() ? 'WebAssembly, threads available (cross-origin isolated page)' : 'WebAssembly, one thread (the page is not cross-origin isolated)',
      },
    ];
  },
};
