/**
 * The tfjs backend's one shape, for Node (backend.ts: files, tfjs-node engines) and a web page
 * (browser.ts: URLs, the browser's engines): what differs is the engines, how a model's files are
 * read, and which engine target `gpu` needs.
 */
import { NnError, type Backend, type FormatProbe, type HardwareVariant, type LoadRequest, type OptionDescription } from '@wacs/core/backend';
import type { EngineState } from './engine-select.js';
import type { EngineName } from './engine.js';
import type { InThreadPreparation } from './in-thread.js';
import type { TfjsGraph } from './graph.js';
import { loadTfjsGraph } from './load-model.js';
import { readModelBytes, type ModelFiles } from './model-json.js';

export interface TfjsEnvironment {
  options: {
    describe(): OptionDescription[];
    parseLoad(request: Pick<LoadRequest, 'options' | 'guestOptions'>): { values: { engine?: string; in_thread?: boolean } };
  };
  /** The active engine, started (or switched to `requested`) if need be. */
  engine(requested?: string): Promise<EngineState>;
  /** The engine target `gpu` needs, and where it runs, for the error when it is not the active one. */
  gpuEngine: string;
  runsIn: string;
  readModelFiles(path: string): Promise<ModelFiles>;
  hardware(): Promise<HardwareVariant[]>;
  /** The module of layers models' in-thread twins (in-thread.ts), where guests run in worker threads (Node). */
  inThreadModule?: string;
}

export function tfjsBackendOn(env: TfjsEnvironment): Backend {
  return {
    name: 'tfjs',
    encodings: ['tensorflow'],
    options: env.options,
    detect(probe: FormatProbe): boolean {
      return probe.format === 'tfjs-model';
    },
    async load(request: LoadRequest): Promise<TfjsGraph> {
      const options = env.options.parseLoad(request).values;
      if (request.target === 'tpu') throw new NnError('unsupported-operation', 'the tfjs backend has no TPU engine');
      const current = await env.engine(options.engine);
      if (request.target === 'gpu' && current.active !== env.gpuEngine) {
        const why = current.skipped[env.gpuEngine];
        throw new NnError('unsupported-operation', `target gpu needs the ${env.gpuEngine} engine, but ${env.runsIn} runs tfjs on ${current.active}${why ? ` (${env.gpuEngine}: ${why})` : ''}`);
      }
      const source = request.source.kind === 'path' ? await env.readModelFiles(request.source.path) : readModelBytes(request.source.builders);
      return loadTfjsGraph(current, source, env.inThreadModule ? { module: env.inThreadModule, wanted: options.in_thread } : undefined);
    },
    inThreadPreparation(modelOptions) {
      if (!env.inThreadModule) return undefined;
      const { engine, in_thread } = env.options.parseLoad({ options: modelOptions }).values;
      if (in_thread === false) return undefined;
      const init: InThreadPreparation = engine ? { engine: engine as EngineName } : {};
      return { module: env.inThreadModule, init };
    },
    hardware: () => env.hardware(),
  };
}
