/**
 * A loaded GGUF model as a wasi:nn graph: one node-llama-cpp model (memory-mapped) and one llama
 * context of `parallel` sequences shared by all the graph's execution contexts (see SequencePool).
 */
import { NnError, toNnError, type ExecutionTarget, type Graph, type LoadRequest } from '@wacs/core/backend';
import type { ChatWrapper, Llama, LlamaGrammar, LlamaModel, LlamaModelOptions } from 'node-llama-cpp';
import { LlamaExecutionContext } from './context.js';
import { llama, nodeLlamaCpp, raiseLogLevel } from './engine.js';
import { checkGguf } from './gguf-check.js';
import { modelFile, type ModelFile } from './model-file.js';
import { noteIgnored, parseLoadOptions, type LlamaOptions } from './options.js';
import { contextSettings, settingsKey, SequencePool, type ContextSettings } from './sequence-pool.js';

export class LlamaGraph implements Graph {
  /** Grammars compile once per graph (keyed by their GBNF or JSON-schema text). */
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private sequences?: SequencePool;
  private wrapper?: Promise<ChatWrapper>;

  constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    /** Graph options: the base every context starts from. */
    readonly options: LlamaOptions,
    private readonly file: ModelFile,
    /** Sequences of the shared llama context: generations decoded together. */
    readonly parallel = 1,
  ) {}

  /**
   * The shared context's sequences, made on first use, when `settings` are the graph's own; a
   * compute that changes ctx-size, batch-size or threads gets a llama context of its own instead.
   */
  sharedSequences(settings: ContextSettings): SequencePool | undefined {
    const own = contextSettings(this, this.options);
    if (settingsKey(own) !== settingsKey(settings)) return undefined;
    return (this.sequences ??= new SequencePool(this.model, own, this.parallel));
  }

  /** The model's chat template (from the GGUF, else node-llama-cpp's general one), resolved once. */
  chatWrapper(): Promise<ChatWrapper> {
    return (this.wrapper ??= nodeLlamaCpp().then(({ resolveChatWrapper }) => resolveChatWrapper(this.model)));
  }

  createContext(): LlamaExecutionContext {
    return new LlamaExecutionContext(this);
  }

  /** The grammar the options ask for (GBNF or JSON schema), if any. */
  async grammar(options: LlamaOptions): Promise<LlamaGrammar | undefined> {
    const gbnf = options.grammar;
    const schema = options['json-schema'];
    if (gbnf === undefined && schema === undefined) return undefined;
    const key = gbnf !== undefined ? `gbnf:${gbnf}` : `schema:${schema}`;
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = (
        gbnf !== undefined ? this.llama.createGrammar({ grammar: gbnf }) : this.llama.createGrammarForJsonSchema(JSON.parse(schema!) as never)
      ).catch((e: unknown) => {
        this.grammars.delete(key);
        throw toNnError(e, 'invalid-argument', gbnf !== undefined ? 'the grammar does not compile' : 'the JSON schema cannot be turned into a grammar');
      });
      this.grammars.set(key, grammar);
    }
    return grammar;
  }

  async dispose(): Promise<void> {
    await this.sequences?.dispose();
    await this.model.dispose();
    await this.file.release();
  }
}

/** Layers to offload: n-gpu-layers when given (-1: all), else what the execution target implies. */
function gpuLayers(target: ExecutionTarget, options: LlamaOptions, instance: Llama): LlamaModelOptions['gpuLayers'] {
  if (target === 'tpu') throw new NnError('unsupported-operation', 'the llama backend has no TPU support; load with target cpu, gpu or auto');
  if (target === 'gpu' && instance.gpu === false) {
    throw new NnError(
      'unsupported-operation',
      'no GPU: node-llama-cpp found no usable CUDA, Vulkan or Metal device here; load with target cpu or auto (wacs backends lists what was detected)',
    );
  }
  const layers = options['n-gpu-layers'];
  if (target === 'cpu' && layers !== undefined && layers !== 0) {
    throw new NnError('invalid-argument', `target cpu and n-gpu-layers=${layers} disagree: use target gpu or auto to offload layers`);
  }
  if (layers !== undefined) return layers === -1 ? 'max' : layers;
  return target === 'cpu' ? 0 : target === 'gpu' ? 'max' : 'auto';
}

export async function loadGraph(request: LoadRequest): Promise<LlamaGraph> {
  const { set: options, ignored } = parseLoadOptions(request);
  noteIgnored(ignored, options, 'load_by_name_with_config');
  const instance = await llama();
  if (options['enable-debug-log']) raiseLogLevel(instance, 'debug');
  else if (options['enable-log']) raiseLogLevel(instance, 'info');
  const layers = gpuLayers(request.target, options, instance);
  const file = await modelFile(request.source);
  let model: LlamaModel;
  try {
    await checkGguf(file.path);
    model = await instance.loadModel({ modelPath: file.path, gpuLayers: layers, useMmap: options['use-mmap'] });
  } catch (e) {
    await file.release();
    if (e instanceof NnError) throw e;
    const message = (e as Error).message ?? String(e);
    const code = /GGUF|not supported|unknown model architecture|corrupt|magic/i.test(message) ? 'invalid-encoding' : 'runtime-error';
    throw toNnError(e, code, 'llama.cpp could not load the model (run with the graph option enable-log=true for its log)');
  }
  // A guest's model file is not needed once mapped: remove it now rather than at exit.
  if (request.source.kind === 'bytes') await file.release();
  return new LlamaGraph(instance, model, options, file, options.parallel ?? request.concurrency ?? 1);
}
