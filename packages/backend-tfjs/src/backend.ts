/** The backend object wacs binds: encoding `tensorflow`, tfjs layers and graph models. */
import { fileURLToPath } from 'node:url';
import { engine, hardwareVariants } from './engine.js';
import { readModelFiles } from './io.js';
import { tfjsOptions } from './options.js';
import { tfjsBackendOn } from './tfjs-backend.js';

/** The in-thread module, built beside this one (tests run sources, against the built copy). */
const IN_THREAD_MODULE = fileURLToPath(import.meta.url.endsWith('.ts') ? new URL('../dist/in-thread.js', import.meta.url) : new URL('./in-thread.js', import.meta.url));

export const tfjsBackend = tfjsBackendOn({
  options: tfjsOptions,
  engine,
  gpuEngine: 'tfjs-node-gpu',
  runsIn: 'this process',
  readModelFiles,
  hardware: async () => hardwareVariants(await engine()),
  inThreadModule: IN_THREAD_MODULE,
});
