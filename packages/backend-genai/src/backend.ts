/** The backend object wacs binds: GenAI model folders (genai_config.json), encoding `onnx`. */
import type { Backend, FormatProbe, HardwareVariant, LoadRequest } from '@wacs/core/backend';
import { hardware, startOrt } from '@wacs/onnxruntime';
import { CONFIG_FILE } from './config.js';
import { GenaiGraph } from './graph.js';
import { genaiOptions } from './options.js';

export const genaiBackend: Backend = {
  name: 'genai',
  encodings: ['onnx'],
  options: genaiOptions,
  detect(probe: FormatProbe): boolean {
    return probe.isDirectory && (probe.entries ?? []).includes(CONFIG_FILE);
  },
  startEngine: startOrt,
  load(request: LoadRequest) {
    return GenaiGraph.load(request);
  },
  async hardware(): Promise<HardwareVariant[]> {
    // The same engine as backend-onnx, so the same variants.
    return hardware();
  },
};
