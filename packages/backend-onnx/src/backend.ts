/** The backend object wacs binds: encoding `onnx`, ONNX protobuf models (not folders). */
import type { Backend, FormatProbe, HardwareVariant, LoadRequest } from '@wacs/core/backend';
import { hardware, startOrt } from '@wacs/onnxruntime';
import { onnxOptions } from './options.js';
import { OnnxGraph } from './graph.js';

export const onnxBackend: Backend = {
  name: 'onnx',
  encodings: ['onnx'],
  options: onnxOptions,
  detect(probe: FormatProbe): boolean {
    return !probe.isDirectory && probe.format === 'onnx';
  },
  startEngine: startOrt,
  load(request: LoadRequest) {
    return OnnxGraph.load(request);
  },
  hardware(): Promise<HardwareVariant[]> {
    return hardware();
  },
};
