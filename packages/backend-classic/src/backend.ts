/** The backend object wacs binds: ONNX-ML, PMML and ml.js models, told apart by their bytes. */
import { modelBytes } from '@wacs/core/backend/node';
import { classicBackendOn } from './classic-backend.js';
import { detectModel } from './detect.js';
import { loadOnnxMl } from './onnx-ml/model.js';
import { classicOptions, loadOptions } from './options.js';

export const classicBackend = classicBackendOn({
  options: classicOptions,
  detect: detectModel,
  readModel: modelBytes,
  loadOnnxMl,
  jsModelOptions: loadOptions,
  hardwareDetail: 'PMML and ml.js evaluated in JavaScript; ONNX-ML on onnxruntime-node (CPU)',
});
