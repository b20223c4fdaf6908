/**
 * An ONNX-ML model as a wasi:nn graph, on any onnxruntime with the common API (onnxruntime-node
 * under Node, onnxruntime-web in a page): what is classical here is the output side. ZipMap maps
 * are flattened (see graph.ts), string labels become JSON, and the outputs are renamed onto the
 * tensor contract. Imports no engine: the loaders (model.ts, model-web.ts) bring theirs.
 */
import { fromOrtTensor, toOrtTensorWith, type OnnxElementType } from '@wacs/onnxruntime/tensors';
import { NnError, jsonTensor, tensorFrom, toNnError, type ExecutionContext, type Graph, type NamedTensor } from '@wacs/core/backend';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { classesTensor, readInputs, type ContractInputs } from '../contract.js';
import { REGRESSOR_OPS, readModel, removeZipMaps, type OnnxModelInfo } from './graph.js';

type Session = InferenceSession;

/** The engine's Tensor class (onnxruntime-node's or onnxruntime-web's). */
export interface OrtEngine {
  Tensor: typeof OrtTensor;
}

/** How the model's outputs map onto the contract. */
interface OutputPlan {
  classes?: Array<string | number>;
  label?: string;
  probabilities?: string;
  value?: string;
  /** Outputs that keep their own names (transformers, extra outputs). */
  passThrough: string[];
}

interface InputSpec {
  name: string;
  type: string;
  rank: number;
}

/** `info` is the model as written (with its ZipMap, whose input the session now outputs). */
function planOutputs(session: Session, info: OnnxModelInfo): OutputPlan {
  const metadata = session.outputMetadata;
  for (const m of metadata) {
    if (!m.isTensor) {
      throw new NnError('unsupported-operation', `output "${m.name}" is not a tensor (a sequence or map other than a final ZipMap), which wasi:nn cannot carry`);
    }
  }
  const typeOf = (name: string) => {
    const m = metadata.find((o) => o.name === name);
    return m && m.isTensor ? m.type : undefined;
  };
  const isFloat = (name: string) => ['float32', 'float64'].includes(typeOf(name) ?? '');
  const zipMap = info.nodes.find((n) => n.opType === 'ZipMap');
  const classifier = info.nodes.find((n) => n.classes && n.opType !== 'ZipMap');
  const classes = zipMap?.classes ?? classifier?.classes;
  const names = [...session.outputNames];
  const plan: OutputPlan = { passThrough: [] };
  if (classes) {
    plan.classes = classes;
    plan.label = names.find((n) => ['int64', 'string'].includes(typeOf(n) ?? ''));
    plan.probabilities = zipMap ? zipMap.inputs[0] : names.find((n) => n !== plan.label && isFloat(n));
  } else if (info.nodes.some((n) => REGRESSOR_OPS.has(n.opType))) {
    plan.value = names.find(isFloat);
  }
  plan.passThrough = names.filter((n) => n !== plan.label && n !== plan.probabilities && n !== plan.value);
  return plan;
}

/**
 * Reads the model's classifier and ZipMap nodes; the bytes to give the engine are the model with
 * its ZipMaps removed (or unchanged when it has none).
 */
export function prepareOnnxMl(bytes: Uint8Array): { info: OnnxModelInfo; bytes: Uint8Array } {
  try {
    const info = readModel(bytes);
    return { info, bytes: removeZipMaps(bytes, info) ?? bytes };
  } catch (e) {
    throw toNnError(e, 'invalid-encoding', 'ONNX-ML model');
  }
}

/** The graph over a session of the prepared model; the session is released if this fails. */
export async function onnxMlGraph(session: Session, info: OnnxModelInfo, engine: OrtEngine): Promise<Graph> {
  try {
    const plan = planOutputs(session, info);
    const inputs: InputSpec[] = session.inputMetadata.map((m) => ({
      name: m.name,
      type: m.isTensor ? m.type : 'non-tensor',
      rank: m.isTensor ? m.shape.length : 0,
    }));
    return new OnnxMlGraph(session, plan, inputs, engine);
  } catch (e) {
    await session.release();
    throw e;
  }
}

class OnnxMlGraph implements Graph {
  constructor(
    private readonly session: Session,
    private readonly plan: OutputPlan,
    private readonly inputs: InputSpec[],
    private readonly engine: OrtEngine,
  ) {}

  createContext(): ExecutionContext {
    return { compute: (inputs) => this.compute(inputs), dispose: () => {} };
  }

  private released = false;

  async dispose(): Promise<void> {
    // Idempotent: onnxruntime throws on a second release.
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }

  private tensorOf(spec: InputSpec, values: ArrayLike<unknown>, rows: number, width: number): OrtTensor {
    const { Tensor } = this.engine;
    const dims = spec.rank === 1 ? [rows * width] : [rows, width];
    const what = `input "${spec.name}"`;
    switch (spec.type) {
      case 'float32':
        return new Tensor('float32', values instanceof Float64Array ? Float32Array.from(values) : Float32Array.from(values as ArrayLike<number>, Number), dims);
      case 'float64':
        return new Tensor('float64', values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>, Number), dims);
      case 'int64':
        return new Tensor('int64', BigInt64Array.from(values as ArrayLike<number>, (v) => BigInt(integer(v, what))), dims);
      case 'int32':
        return new Tensor('int32', Int32Array.from(values as ArrayLike<number>, (v) => integer(v, what)), dims);
      case 'string':
        return new Tensor('string', Array.from(values, (v) => String(v ?? '')), dims);
      default:
        throw new NnError('unsupported-operation', `${what} has ONNX type ${spec.type}, which this backend cannot feed`);
    }
  }

  private feeds(given: ContractInputs): Record<string, OrtTensor> {
    const feeds: Record<string, OrtTensor> = {};
    const spec = (name: string) => this.inputs.find((i) => i.name === name);
    for (const { name, tensor } of given.other) {
      const s = spec(name);
      if (!s) throw new NnError('invalid-argument', `the model has no input "${name}"; its inputs: ${this.inputNames()}`);
      feeds[name] = toOrtTensorWith(this.engine, name, tensor, s.type as OnnxElementType);
    }
    for (const [name, column] of given.metadata) {
      const s = spec(name);
      if (!s) throw new NnError('invalid-argument', `metadata names "${name}", which is not a model input; its inputs: ${this.inputNames()}`);
      feeds[name] = this.tensorOf(s, column, given.rows, 1);
    }
    const rest = this.inputs.filter((i) => !(i.name in feeds));
    const features = given.features;
    if (features && rest.length === 1) {
      const only = rest[0]!;
      const direct = (only.type === 'float32' && features.tensor.type === 'FP32') || (only.type === 'float64' && features.tensor.type === 'FP64');
      feeds[only.name] = direct
        ? toOrtTensorWith(this.engine, only.name, features.tensor, only.type as OnnxElementType, only.rank === 1 ? [features.data.length] : [given.rows, features.columns])
        : this.tensorOf(only, features.data, given.rows, features.columns);
    } else if (features && rest.length > 1) {
      if (features.columns !== rest.length) {
        throw new NnError('invalid-argument', `the features have ${features.columns} columns but ${rest.length} model inputs are left to fill, one column each: ${rest.map((r) => r.name).join(', ')}`);
      }
      rest.forEach((input, column) => {
        const values = new Float64Array(given.rows);
        for (let r = 0; r < given.rows; r++) values[r] = features.data[r * features.columns + column]!;
        feeds[input.name] = this.tensorOf(input, values, given.rows, 1);
      });
    }
    const missing = this.inputs.filter((i) => !(i.name in feeds)).map((i) => i.name);
    if (missing.length) throw new NnError('invalid-argument', `missing model input(s): ${missing.join(', ')} (pass "features", "metadata" or the input by name)`);
    return feeds;
  }

  private inputNames(): string {
    return this.inputs.map((i) => `${i.name} (${i.type})`).join(', ');
  }

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const feeds = this.feeds(readInputs(inputs));
    let results;
    try {
      results = await this.session.run(feeds);
    } catch (e) {
      throw toNnError(e, /shape|dimension|rank|features/i.test(String((e as Error).message)) ? 'invalid-argument' : 'runtime-error', 'onnxruntime');
    }
    const { plan } = this;
    const out: NamedTensor[] = [];
    if (plan.label) out.push(labelOutput(results[plan.label]!));
    if (plan.probabilities) out.push({ name: 'probabilities', tensor: float32(results[plan.probabilities]!) });
    if (plan.value) {
      const value = float32(results[plan.value]!);
      // [N, 1] → [N]; a multi-target regressor keeps its [N, T].
      const dims = value.dimensions.length === 2 && value.dimensions[1] === 1 ? [value.dimensions[0]!] : value.dimensions;
      out.push({ name: 'value', tensor: { ...value, dimensions: dims } });
    }
    if (plan.classes) out.push(classesTensor(plan.classes));
    for (const name of plan.passThrough) {
      const t = results[name]!;
      out.push(fromOrtTensor(name, t));
    }
    return out;
  }
}

function integer(v: unknown, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new NnError('invalid-argument', `${what} takes integers, got ${String(v)}`);
  return n;
}

function labelOutput(t: OrtTensor): NamedTensor {
  if (t.type === 'string') return { name: 'label', tensor: jsonTensor(t.data) };
  const { tensor } = fromOrtTensor('label', t);
  // Labels are one per row, whatever rank the model gives them ([N] or [N, 1]).
  return { name: 'label', tensor: { ...tensor, dimensions: [t.size] } };
}

function float32(t: OrtTensor) {
  if (t.type === 'float32') return fromOrtTensor('', t).tensor;
  if (t.type === 'float64') return tensorFrom('FP32', [...t.dims], Float32Array.from(t.data as Float64Array));
  throw new NnError('unsupported-operation', `expected a float output, got ${t.type}`);
}
