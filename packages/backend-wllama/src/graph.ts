/**
 * A loaded GGUF model: its bytes (a Blob the engines read from), its graph options, and the wllama
 * engines started on it. An engine's context size, batch, threads and embedding mode are fixed when
 * it starts, so there is one engine per such settings, shared by the graph's contexts (llama.cpp
 * serves each request in its own slot).
 */
import { NnError, type ExecutionContext, type Graph } from '@wacs/core/backend';
import type { Wllama } from '@wllama/wllama';
import { startEngine } from './engine.js';
import { WllamaExecutionContext } from './context.js';
import type { WllamaOptions } from './options.js';

/** Contexts default to the model's training context, capped so a 128k-context model stays small. */
const DEFAULT_MAX_CONTEXT = 4096;
const DEFAULT_BATCH = 512;
/** How far past its training context a model may be asked to run (RoPE scaling), as in backend-llama. */
const MAX_CONTEXT_STRETCH = 8;
/** llama.cpp (as wllama 3.13 builds it) makes contexts in steps of this many tokens, whatever size is asked for. */
const CONTEXT_STEP = 256;

const contextOf = (asked: number) => Math.ceil(asked / CONTEXT_STEP) * CONTEXT_STEP;

export interface EngineSettings {
  contextSize: number;
  batchSize: number;
  /** undefined: wllama's choice (half the logical cores when the page is cross-origin isolated). */
  threads?: number;
  /** An engine that computes embeddings (llama.cpp's embedding mode) instead of generating. */
  embedding: boolean;
}

const keyOf = (s: EngineSettings) => `${s.contextSize}/${s.batchSize}/${s.threads ?? 'auto'}/${s.embedding ? 'embedding' : 'generation'}`;

/**
 * The pooling an embedding engine asks llama.cpp for: the model's own (a sentence-embedding model
 * declares one, e.g. BERT's mean), and for a model without one (a causal LM) the last token's
 * vector, which is what backend-llama returns for it (llama-server would give the first token's).
 */
type Pooling = 'unspecified' | 'last';

function poolingOf(metadata: Record<string, string>): Pooling {
  const declared = Number(metadata[`${metadata['general.architecture']}.pooling_type`] ?? 0);
  return declared > 0 ? 'unspecified' : 'last';
}

export class WllamaGraph implements Graph {
  private readonly engines = new Map<string, Promise<Wllama>>();
  private disposed = false;

  private constructor(
    private readonly model: Blob,
    readonly options: WllamaOptions,
    private readonly trainedContext: number,
    private readonly pooling: Pooling,
  ) {}

  /** Starts the engine the graph's options ask for: a model llama.cpp cannot load fails here. */
  static async open(model: Blob, options: WllamaOptions): Promise<WllamaGraph> {
    // The training context is known once a model is loaded; a first engine of the capped size reads it.
    const probe = { contextSize: contextOf(options['ctx-size'] || DEFAULT_MAX_CONTEXT), batchSize: options['batch-size'] ?? DEFAULT_BATCH, threads: options.threads, embedding: false };
    probe.batchSize = Math.min(probe.batchSize, probe.contextSize);
    const log = options['enable-log'] ?? false;
    const first = await startEngine(model, engineParams(probe, 'last'), log);
    const { hparams, meta } = first.getModelMetadata();
    const graph = new WllamaGraph(model, options, hparams.nCtxTrain, poolingOf(meta));
    let settings: EngineSettings;
    try {
      settings = graph.settings(options);
    } catch (e) {
      await first.exit();
      throw e;
    }
    if (keyOf(settings) === keyOf(probe)) {
      graph.engines.set(keyOf(probe), Promise.resolve(first));
    } else {
      // A model trained on less than the cap: its own context size, started now rather than at the first compute.
      await first.exit();
      await graph.engine(settings, log);
    }
    return graph;
  }

  settings(options: WllamaOptions): EngineSettings {
    const trained = this.trainedContext;
    const contextSize = options['ctx-size'] === 0 ? trained : (options['ctx-size'] ?? Math.min(trained, DEFAULT_MAX_CONTEXT));
    // Options can come from a guest: sizes past what the model can use only cost the page.
    if (contextSize > trained * MAX_CONTEXT_STRETCH) {
      throw new NnError('invalid-argument', `ctx-size ${contextSize} is more than ${MAX_CONTEXT_STRETCH} times the model's training context of ${trained} tokens`);
    }
    // The size llama.cpp will make, so a full context is reported at the size it really has.
    const made = contextOf(contextSize);
    return { contextSize: made, batchSize: Math.min(options['batch-size'] ?? DEFAULT_BATCH, made), threads: options.threads, embedding: options.embedding ?? false };
  }

  /** The engine for these settings, started when first asked for. */
  engine(settings: EngineSettings, log: boolean): Promise<Wllama> {
    if (this.disposed) throw new NnError('runtime-error', 'wllama: the graph was released');
    const key = keyOf(settings);
    let engine = this.engines.get(key);
    if (!engine) {
      engine = startEngine(this.model, engineParams(settings, this.pooling), log).catch((e: unknown) => {
        this.engines.delete(key);
        throw new NnError('runtime-error', `wllama: cannot start llama.cpp with a context of ${settings.contextSize} tokens: ${(e as Error).message}`, undefined, { cause: e });
      });
      this.engines.set(key, engine);
    }
    return engine;
  }

  createContext(): ExecutionContext {
    return new WllamaExecutionContext(this);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const engines = [...this.engines.values()];
    this.engines.clear();
    await Promise.all(engines.map((e) => e.then((engine) => engine.exit(), () => {})));
  }
}

function engineParams(settings: EngineSettings, pooling: Pooling) {
  // n_parallel 1: one slot holds the whole context (wllama's default of 4 shares it among four).
  // No context shift: dropping tokens to make room would hide a full context, which is an error the
  // guest should see (as backend-llama does).
  return {
    n_ctx: settings.contextSize,
    n_batch: settings.batchSize,
    n_parallel: 1,
    ctx_shift: false,
    ...(settings.threads ? { n_threads: settings.threads } : {}),
    // llama.cpp embeds a prompt in one micro-batch (a non-causal model must see it whole).
    ...(settings.embedding ? { embeddings: true, pooling_type: pooling, n_ubatch: settings.batchSize } : {}),
  };
}
