/**
 * A TensorFlow.js model as a wasi:nn graph. Layers models run with `predictOnBatch`, graph models
 * with `execute` (or `executeAsync` once the model turns out to hold dynamic ops). Inputs are
 * matched by the model's input names or by position ("0", "1", …); outputs are every model output,
 * in model order, under the model's output names. Every tensor a compute makes is disposed before
 * it returns.
 */
import { NnError, toNnError, type ExecutionContext, type Graph, type InThreadSpec, type NamedTensor } from '@wacs/core/backend';
import type * as Tf from '@tensorflow/tfjs';
import type { TfModule } from './engine-select.js';
import type { ModelKind } from './io.js';
import { layersArtifacts, type LayersArtifacts } from './layers-sync.js';
import { fromTfTensor, toTfTensor } from './tensors.js';

export interface ModelInput {
  name: string;
  /** The dtype the model declares, when it declares one. */
  dtype?: string;
}

/** What a compute needs from a layers or graph model. */
export interface ModelRunner {
  readonly kind: ModelKind;
  readonly inputs: readonly ModelInput[];
  readonly outputs: readonly string[];
  /** Runs on inputs in model order; the caller disposes the tensors it returns. */
  run(feeds: Tf.Tensor[]): Promise<Tf.Tensor[]>;
  dispose(): void;
}

function asList(result: Tf.Tensor | Tf.Tensor[] | Tf.NamedTensorMap): Tf.Tensor[] {
  if (Array.isArray(result)) return result;
  if ('dataId' in result) return [result as Tf.Tensor];
  return Object.values(result);
}

export class LayersRunner implements ModelRunner {
  readonly kind = 'layers';
  readonly inputs: ModelInput[];
  readonly outputs: string[];

  constructor(
    readonly tf: TfModule,
    readonly model: Tf.LayersModel,
  ) {
    // A loaded Sequential builds its inner model (and so its input/output names) lazily.
    if (model instanceof tf.Sequential && model.inputNames.length === 0) model.build();
    this.inputs = model.inputNames.map((name, i) => ({ name, dtype: model.inputs[i]?.dtype }));
    this.outputs = [...model.outputNames];
  }

  async run(feeds: Tf.Tensor[]): Promise<Tf.Tensor[]> {
    return this.runSync(feeds);
  }

  /** A layers model computes synchronously (an in-thread twin's compute). */
  runSync(feeds: Tf.Tensor[]): Tf.Tensor[] {
    // predictOnBatch, not predict: predict splits the input into batches of 32 and concatenates.
    return this.tf.tidy(() => asList(this.model.predictOnBatch(feeds.length === 1 ? feeds[0]! : feeds)));
  }

  dispose(): void {
    this.model.dispose();
  }
}

export class GraphRunner implements ModelRunner {
  readonly kind = 'graph';
  readonly inputs: ModelInput[];
  readonly outputs: string[];
  /** Set once `execute` reports control flow or dynamic-shape ops, which need `executeAsync`. */
  private dynamic = false;

  constructor(
    private readonly tf: TfModule,
    readonly model: Tf.GraphModel,
  ) {
    this.inputs = model.inputNodes.map((name, i) => ({ name, dtype: model.inputs[i]?.dtype }));
    this.outputs = [...model.outputNodes];
  }

  async run(feeds: Tf.Tensor[]): Promise<Tf.Tensor[]> {
    const named: Tf.NamedTensorMap = Object.fromEntries(this.inputs.map((input, i) => [input.name, feeds[i]!]));
    if (!this.dynamic) {
      try {
        return this.tf.tidy(() => asList(this.model.execute(named, this.outputs)));
      } catch (e) {
        if (!/executeAsync/.test((e as Error).message)) throw e;
        this.dynamic = true;
      }
    }
    // executeAsync disposes its intermediate tensors itself.
    return asList(await this.model.executeAsync(named, this.outputs));
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Index of the model input a guest input name means: the model's own name, else a position. */
export function inputIndex(inputs: readonly ModelInput[], name: string): number {
  const byName = inputs.findIndex((input) => input.name === name);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(name) && Number(name) < inputs.length) return Number(name);
  const positions = inputs.length === 1 ? '"0"' : `"0"…"${inputs.length - 1}"`;
  throw new NnError('invalid-argument', `the model has no input "${name}"; its inputs are ${inputs.map((i) => `"${i.name}"`).join(', ')} (or ${positions} by position)`);
}

/** The model's inputs in model order, from the guest's named ones; on failure none is left undisposed. */
export function feedsFor(tf: TfModule, runner: ModelRunner, inputs: NamedTensor[]): Tf.Tensor[] {
  const feeds = new Array<Tf.Tensor | undefined>(runner.inputs.length);
  try {
    for (const { name, tensor } of inputs) {
      const index = inputIndex(runner.inputs, name);
      const input = runner.inputs[index]!;
      if (feeds[index]) throw new NnError('invalid-argument', `model input "${input.name}" was given twice (as "${name}" and by its other name)`);
      feeds[index] = toTfTensor(tf, name, tensor, input.dtype);
    }
    const missing = runner.inputs.filter((_, i) => !feeds[i]).map((input) => `"${input.name}"`);
    if (missing.length) throw new NnError('invalid-argument', `missing model input(s): ${missing.join(', ')}`);
    return feeds as Tf.Tensor[];
  } catch (e) {
    tf.dispose(feeds.filter((t): t is Tf.Tensor => t !== undefined));
    throw e;
  }
}

/** A failure of the model itself: the guest's inputs did not fit it, or tfjs failed. */
export function runError(e: unknown): NnError {
  return toNnError(e, /shape|rank|dimension|dtype/i.test((e as Error).message) ? 'invalid-argument' : 'runtime-error', 'tfjs');
}

/** The name of the model's output at `index`. */
export function outputName(runner: ModelRunner, index: number): string {
  return runner.outputs[index] ?? String(index);
}

export class TfjsContext implements ExecutionContext {
  constructor(
    private readonly tf: TfModule,
    private readonly runner: ModelRunner,
  ) {}

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const { tf, runner } = this;
    const feeds = feedsFor(tf, runner, inputs);
    try {
      let outputs: Tf.Tensor[];
      try {
        outputs = await runner.run(feeds);
      } catch (e) {
        throw runError(e);
      }
      try {
        return await Promise.all(outputs.map((output, i) => fromTfTensor(outputName(runner, i), output)));
      } finally {
        tf.dispose(outputs);
      }
    } finally {
      tf.dispose(feeds);
    }
  }

  dispose(): void {}
}

/** What a guest's worker needs to open a graph's twin (see in-thread.ts): plain data. */
export interface InThreadInit {
  /** The engine the host's graph runs on; the twin runs on the same one, or not at all. */
  engine: string;
  artifacts: LayersArtifacts;
}

export class TfjsGraph implements Graph {
  constructor(
    readonly tf: TfModule,
    readonly runner: ModelRunner,
    /** The engine the model's weights live on. */
    readonly engine: string,
    /** Where the graph's twin comes from, when it may have one: the in-thread module and the model's topology. */
    private readonly twin?: { module: string; topology: Record<string, unknown> },
  ) {}

  createContext(): ExecutionContext {
    return new TfjsContext(this.tf, this.runner);
  }

  /** The weights are read from the model when a twin is asked for, so the host keeps no second copy. */
  inThread(): InThreadSpec | undefined {
    if (!this.twin || !(this.runner instanceof LayersRunner)) return undefined;
    const init: InThreadInit = { engine: this.engine, artifacts: layersArtifacts(this.twin.topology, this.runner.model) };
    return { module: this.twin.module, init };
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.dispose();
  }
}
