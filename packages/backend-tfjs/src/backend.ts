/** The backend object wacs binds: encoding `tensorflow`, tfjs layers and graph models. */
import { NnError, type Backend, type FormatProbe, type HardwareVariant, type LoadRequest } from '@wacs/core/backend';
import { engine, hardwareVariants } from './engine.js';
import type { TfjsGraph } from './graph.js';
import { readModelFiles } from './io.js';
import { loadTfjsGraph } from './load-model.js';
import { readModelBytes } from './model-json.js';
import { tfjsOptions } from './options.js';

export const tfjsBackend: Backend = {
  name: 'tfjs',
  encodings: ['tensorflow'],
  options: tfjsOptions,
  detect(probe: FormatProbe): boolean {
    return probe.format === 'tfjs-model';
  },
  async load(request: LoadRequest): Promise<TfjsGraph> {
    const options = tfjsOptions.parseLoad(request).values;
    if (request.target === 'tpu') throw new NnError('unsupported-operation', 'the tfjs backend has no TPU engine');
    const current = await engine(options.engine);
    if (request.target === 'gpu' && current.active !== 'tfjs-node-gpu') {
      const why = current.skipped['tfjs-node-gpu'];
      throw new NnError(
        'unsupported-operation',
        `target gpu needs the tfjs-node-gpu engine, but this process runs on ${current.active}${why ? ` (tfjs-node-gpu: ${why})` : ''}`,
      );
    }
    const source = request.source.kind === 'path' ? await readModelFiles(request.source.path) : readModelBytes(request.source.builders);
    return loadTfjsGraph(current, source);
  },
  async hardware(): Promise<HardwareVariant[]> {
    return hardwareVariants(await engine());
  },
};
