/**
 * A layers model's twin in a guest's worker thread (core's `Graph.inThread`): the same model on
 * the same tfjs engine, computing synchronously while the guest waits, with no round trip to the
 * host thread. The compute logic is the host context's own (graph.ts), so results and errors are
 * the same on both paths.
 *
 * tfjs starts its WebAssembly engine only asynchronously, which a blocked guest's thread cannot
 * wait for; so the worker starts the engine before the guest runs (`prepareInThread`, asked for by
 * the backend's `inThreadPreparation`), and `openInThread` opens a twin only where this thread's
 * tfjs already runs on the host graph's engine.
 */
import type { InThreadContext, InThreadGraph, NamedTensor, OpenInThread, PrepareInThread } from '@wacs/core/backend';
import type * as Tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { activateEngine, DEFAULT_CANDIDATES, type EngineName, type TfModule } from './engine.js';
import { feedsFor, LayersRunner, outputName, runError, type InThreadInit } from './graph.js';
import { layersModelSync } from './layers-sync.js';
import { fromTfTensorSync } from './tensors.js';

/** What the worker starts before the guest: the engine the host will run this model's backend on. */
export interface InThreadPreparation {
  /** The `engine` option of the model, if it has one. */
  engine?: EngineName;
}

const require = createRequire(import.meta.url);
/** tfjs's parts as @tensorflow/tfjs resolves them: the copies a whole tfjs in this thread would use. */
const tfjsParts = createRequire(require.resolve('@tensorflow/tfjs'));
const CORE = '@tensorflow/tfjs-core';

/**
 * Starts the engine as the host's `engine` does, on tfjs-core and the engines' kernels rather than
 * all of @tensorflow/tfjs: the guest waits for this, and WebGL, the converter and tfjs-data are
 * never needed here (core and the kernels load in about half the time; layers load when a twin opens).
 */
export const prepareInThread: PrepareInThread = async (init) => {
  const { engine: requested } = init as InThreadPreparation;
  const core = tfjsParts(CORE) as TfModule;
  tfjsParts('@tensorflow/tfjs-backend-cpu');
  await activateEngine(core, requested ? DEFAULT_CANDIDATES.filter((candidate) => candidate.name === requested) : DEFAULT_CANDIDATES);
};

class TfjsInThreadGraph implements InThreadGraph {
  private disposed = false;

  constructor(private readonly runner: LayersRunner) {}

  createContext(): InThreadContext {
    const { runner } = this;
    const { tf } = runner;
    return {
      compute(inputs: NamedTensor[]): NamedTensor[] {
        const feeds = feedsFor(tf, runner, inputs);
        try {
          let outputs: Tf.Tensor[];
          try {
            outputs = runner.runSync(feeds);
          } catch (e) {
            throw runError(e);
          }
          try {
            return outputs.map((output, i) => fromTfTensorSync(outputName(runner, i), output));
          } finally {
            tf.dispose(outputs);
          }
        } finally {
          tf.dispose(feeds);
        }
      },
      dispose() {},
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.dispose();
  }
}

let withLayers: TfModule | undefined;

/** tfjs-core and tfjs-layers as one module, where this thread runs tfjs on an engine; without loading tfjs. */
function loadedTfjs(): TfModule | undefined {
  const core = require.cache[tfjsParts.resolve(CORE)]?.exports as TfModule | undefined;
  if (!core) return undefined;
  return (withLayers ??= { ...core, ...(tfjsParts('@tensorflow/tfjs-layers') as object) } as TfModule);
}

/** A twin on the host graph's engine, or none where this thread runs tfjs on no engine or another one. */
export const openInThread: OpenInThread = (init) => {
  const { engine: wanted, artifacts } = init as InThreadInit;
  const tf = loadedTfjs();
  // The twin engines' names are their tfjs backends' names.
  if (!tf || tf.getBackend() !== wanted) return undefined;
  return new TfjsInThreadGraph(new LayersRunner(tf, layersModelSync(tf, artifacts)));
};
