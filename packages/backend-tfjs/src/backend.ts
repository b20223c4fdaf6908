/** The backend object wacs binds: encoding `tensorflow`, tfjs layers and graph models. */
import { engine, hardwareVariants } from './engine.js';
import { readModelFiles } from './io.js';
import { tfjsOptions } from './options.js';
import { tfjsBackendOn } from './tfjs-backend.js';

export const tfjsBackend = tfjsBackendOn({
  options: tfjsOptions,
  engine,
  gpuEngine: 'tfjs-node-gpu',
  runsIn: 'this process',
  readModelFiles,
  hardware: async () => hardwareVariants(await engine()),
});
