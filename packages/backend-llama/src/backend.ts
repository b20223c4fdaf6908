/** The backend object wacs binds: encoding `ggml`, GGUF models through node-llama-cpp. */
import type { Backend, FormatProbe, HardwareVariant, LoadRequest } from '@wacs/core/backend';
import { disposeLlama, llama, nodeLlamaCpp } from './engine.js';
import { loadGraph } from './graph.js';
import { llamaOptions } from './options.js';

export const llamaBackend: Backend = {
  name: 'llama',
  encodings: ['ggml'],
  options: llamaOptions,
  detect(probe: FormatProbe): boolean {
    return !probe.isDirectory && probe.format === 'gguf';
  },
  async startEngine() {
    await llama();
  },
  load(request: LoadRequest) {
    return loadGraph(request);
  },
  async hardware(): Promise<HardwareVariant[]> {
    const { getLlamaGpuTypes } = await nodeLlamaCpp();
    const [instance, supported, valid] = await Promise.all([llama(), getLlamaGpuTypes('supported'), getLlamaGpuTypes('allValid')]);
    const gpus: HardwareVariant[] = valid
      .filter((type): type is Exclude<typeof type, false> => type !== false)
      .map((type) => ({
        name: type,
        available: supported.includes(type),
        active: instance.gpu === type,
        detail: supported.includes(type)
          ? `node-llama-cpp ${instance.gpu === type ? 'uses' : 'can use'} its ${type} binaries here`
          : `no ${type} device or driver found (or node-llama-cpp's ${type} binaries are not installed)`,
      }));
    return [
      ...gpus,
      {
        name: 'cpu',
        available: true,
        active: instance.gpu === false,
        detail: `${instance.cpuMathCores} math cores; llama.cpp ${instance.llamaCppRelease.release} (${instance.buildType})`,
      },
    ];
  },
  dispose: disposeLlama,
};
