/**
 * One ONNX model as a wasi:nn graph: an InferenceSession shared by all its execution contexts,
 * plus one session per distinct set of session options a compute's `metadata` asks for.
 *
 * Inputs are matched by model name, or by position for the names "0", "1", … (preview1 guests).
 * An input named `metadata` that is not a model input (or at position `inputs.length`) is a JSON
 * object of per-compute options. Outputs are every declared model output in model order, or the
 * subset the `outputs` option names.
 */
import {
  NnError,
  metadataObject,
  type ExecutionContext,
  type ExecutionTarget,
  type Graph,
  type InThreadSpec,
  type LoadRequest,
  type NamedTensor,
  type Tensor,
} from '@wacs/core/backend';
import {
  fromOrtTensor,
  howToSend,
  modelOrigin,
  openSession,
  ort,
  proto,
  toOrtTensorWith,
  usesExternalData,
  WASI_TYPE_FOR,
  type InferenceSession,
  type ModelOrigin,
  type OnnxElementType,
  type OrtModule as Ort,
  type OrtTensor,
  type SessionSettings,
} from '@wacs/onnxruntime';
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { proxyBf16, type Bf16Proxies } from './bf16.js';
import { loadOptions, parseGraphOptions, sessionSettings, type GraphOptions } from './options.js';

/** Distinct session-option sets one graph keeps sessions for (each is a full copy of the model). */
const MAX_SESSION_VARIANTS = 8;

/** A model input or output as the guest sees it. */
export interface IoInfo {
  name: string;
  /** Its name in the session: a float32 proxy's for bfloat16 (see bf16.ts). */
  sessionName: string;
  /** ONNX element type; undefined for sequences, maps and optionals, which wasi:nn cannot carry. */
  type?: OnnxElementType;
  /** Dimensions: numbers are fixed, strings symbolic. */
  shape: ReadonlyArray<number | string>;
}

function ioInfo(metadata: readonly InferenceSession.ValueMetadata[], proxies: Map<string, string> | undefined): IoInfo[] {
  const real = new Map([...(proxies ?? [])].map(([name, proxy]) => [proxy, name]));
  return metadata.map((m) => {
    const name = real.get(m.name) ?? m.name;
    if (!m.isTensor) return { name, sessionName: m.name, shape: [] };
    return { name, sessionName: m.name, type: real.has(m.name) ? 'bfloat16' : m.type, shape: m.shape };
  });
}

function formatShape(shape: ReadonlyArray<number | string>): string {
  return `[${shape.join(', ')}]`;
}

/** What one compute feeds and fetches, decided before a session runs. */
export interface ComputePlan {
  /** Session settings from the compute's `metadata`, when it sets any. */
  settings?: SessionSettings;
  feeds: Record<string, OrtTensor>;
  outputs: IoInfo[];
}

/**
 * A model as guests see it (inputs, outputs, options) and the engine-independent part of a compute:
 * checking inputs into feeds, choosing outputs, reading results back. The host's graph and its
 * in-thread twin (in-thread.ts) share it, so both give the same results and the same errors.
 */
export class OnnxModel {
  constructor(
    readonly inputs: IoInfo[],
    readonly outputs: IoInfo[],
    readonly options: GraphOptions,
  ) {}

  input(name: string): IoInfo | undefined {
    return this.inputs.find((i) => i.name === name) ?? (/^\d+$/.test(name) ? this.inputs[Number(name)] : undefined);
  }

  /** The outputs a compute returns: those named (or indexed) by `outputs`, else all. */
  selectOutputs(outputs: ReadonlyArray<string | number> | undefined, where: string): IoInfo[] {
    if (!outputs) return this.outputs;
    return outputs.map((o) => {
      const found =
        typeof o === 'number' ? this.outputs[o] : (this.outputs.find((x) => x.name === o) ?? (/^\d+$/.test(o) ? this.outputs[Number(o)] : undefined));
      if (!found) {
        throw new NnError('invalid-argument', `${where}: the model has no output ${JSON.stringify(o)}; its outputs are: ${this.outputs.map((x) => x.name).join(', ')}`);
      }
      return found;
    });
  }

  /** Splits off the `metadata` input, when it is not a model input. */
  private metadata(inputs: NamedTensor[]): { tensors: NamedTensor[]; options?: GraphOptions } {
    const index = inputs.findIndex(({ name }) => (name === 'metadata' || name === String(this.inputs.length)) && !this.input(name));
    if (index < 0) return { tensors: inputs };
    const raw = metadataObject(inputs[index]!.tensor);
    return { tensors: inputs.filter((_, i) => i !== index), options: parseGraphOptions(raw, 'metadata') };
  }

  plan(engine: Ort, inputs: NamedTensor[]): ComputePlan {
    const { tensors, options } = this.metadata(inputs);
    const feeds: Record<string, OrtTensor> = {};
    for (const { name, tensor } of tensors) {
      const info = this.input(name);
      if (!info) {
        throw new NnError('invalid-argument', `the model has no input "${name}"; its inputs are: ${this.inputs.map((i) => i.name).join(', ')} (or "0".."${this.inputs.length - 1}" by position)`);
      }
      if (!info.type) throw new NnError('unsupported-operation', `input "${info.name}" is a sequence, map or optional, which wasi:nn cannot carry`);
      if (info.sessionName in feeds) throw new NnError('invalid-argument', `input "${info.name}" is given twice (as "${name}" and another name)`);
      const value = toOrtTensorWith(engine, info.name, tensor, info.type, feedDims(info, tensor));
      checkShape(info, value.dims);
      feeds[info.sessionName] = value;
    }
    const missing = this.inputs.filter((i) => !(i.sessionName in feeds));
    if (missing.length) {
      throw new NnError('invalid-argument', `missing model input(s): ${missing.map((i) => `${i.name} (${i.type ? `${i.type} ${formatShape(i.shape)}: send ${howToSend(i.type)}` : 'not a tensor'})`).join(', ')}`);
    }
    const outputs = this.selectOutputs(options?.outputs ?? this.options.outputs, options?.outputs ? 'metadata' : 'model option');
    for (const o of outputs) {
      // Checked before running: onnxruntime-node aborts the process returning int4/uint4 tensors.
      const what = !o.type ? 'a sequence, map or optional' : !WASI_TYPE_FOR[o.type] ? `ONNX ${o.type}` : undefined;
      if (what) throw new NnError('unsupported-operation', `output "${o.name}" is ${what}, which wasi:nn cannot carry; ask for the other outputs with the "outputs" option`);
    }
    return { settings: options && sessionSettings(options), feeds, outputs };
  }

  results(plan: ComputePlan, results: Record<string, OrtTensor>): NamedTensor[] {
    return plan.outputs.map((o) => fromOrtTensor(o.name, results[o.sessionName]!, o.type === 'bfloat16'));
  }
}

/** An engine's failure to run, as the guest sees it. */
export function runError(e: unknown): NnError {
  const message = String((e as Error).message);
  return new NnError(/shape|dimension|rank/i.test(message) ? 'invalid-argument' : 'runtime-error', `onnxruntime: ${message.trim()}`, undefined, { cause: e });
}

/**
 * The sessions a graph keeps for the session settings computes ask for in their metadata, one per
 * distinct set (each is a full copy of the model, hence the cap). `S` is the host's session or the
 * in-thread twin's.
 */
export class SessionVariants<S> {
  private readonly sessions = new Map<string, S>();

  constructor(
    private readonly options: GraphOptions,
    /** Opens a session; `forget` drops it again (one that failed to open). */
    private readonly open: (settings: SessionSettings, forget: () => void) => S,
  ) {}

  get(settings: SessionSettings): S {
    const merged = { ...sessionSettings(this.options), ...settings };
    const key = JSON.stringify(merged, Object.keys(merged).sort());
    let session = this.sessions.get(key);
    if (!session) {
      if (this.sessions.size >= MAX_SESSION_VARIANTS) {
        throw new NnError('too-large', `metadata: this graph already keeps ${MAX_SESSION_VARIANTS} sessions for different session options; reuse one of them`);
      }
      session = this.open(merged, () => this.sessions.delete(key));
      this.sessions.set(key, session);
    }
    return session;
  }

  /** Every session, taken out for disposal. */
  drain(): S[] {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    return all;
  }
}

export class OnnxGraph extends OnnxModel implements Graph {
  private readonly variants: SessionVariants<Promise<InferenceSession>>;

  private constructor(
    readonly engine: Ort,
    readonly session: InferenceSession,
    /** The execution providers the session runs on. */
    readonly providers: string[],
    private readonly origin: ModelOrigin,
    target: ExecutionTarget,
    options: GraphOptions,
    proxies: Bf16Proxies | undefined,
  ) {
    super(ioInfo(session.inputMetadata, proxies?.inputs), ioInfo(session.outputMetadata, proxies?.outputs), options);
    this.variants = new SessionVariants(options, (settings, forget) => {
      const opened = openSession(engine, origin, settings, target).then((s) => s.session);
      opened.catch(forget);
      return opened;
    });
  }

  static async load(request: LoadRequest): Promise<OnnxGraph> {
    const options = loadOptions(request);
    const settings = sessionSettings(options) ?? {};
    const engine = await ort();
    let origin = modelOrigin(request);
    try {
      const { session, providers } = await openSession(engine, origin, settings, request.target);
      return new OnnxGraph(engine, session, providers, origin, request.target, options, undefined);
    } catch (e) {
      if (!/Unsupported data type: 16\b/.test((e as Error).message)) throw e;
    }
    // bfloat16 inputs or outputs: load the model with float32 proxies for them.
    const bytes = origin.kind === 'path' ? new Uint8Array(await readFile(origin.path)) : origin.bytes;
    let proxies;
    try {
      proxies = proxyBf16(bytes);
    } catch (e) {
      if (e instanceof proto.ProtoError) throw new NnError('invalid-encoding', `the model is not a valid ONNX protobuf: ${e.message}`);
      throw e;
    }
    if (!proxies) throw new NnError('unsupported-operation', 'onnxruntime-node cannot load this model: it has bfloat16 values that are not graph inputs or outputs');
    origin = { kind: 'bytes', bytes: proxies.model, folder: origin.kind === 'path' ? dirname(origin.path) : undefined };
    const { session, providers } = await openSession(engine, origin, settings, request.target);
    return new OnnxGraph(engine, session, providers, origin, request.target, options, proxies);
  }

  /** The session for a compute's session settings (created on first use). */
  sessionFor(settings: SessionSettings | undefined): Promise<InferenceSession> {
    return settings ? this.variants.get(settings) : Promise.resolve(this.session);
  }

  createContext(): ExecutionContext {
    return new OnnxContext(this);
  }

  private inThreadSpec?: InThreadSpec | null;

  /**
   * A CPU session's twin can run in a guest's worker (in-thread.ts): a second session of the same
   * model, so by default only for models up to IN_THREAD_MAX_MODEL_BYTES with no external data;
   * the `in_thread` option forces it on or off.
   */
  inThread(): InThreadSpec | undefined {
    if (this.inThreadSpec === undefined) {
      const cpu = this.providers.length === 1 && this.providers[0] === 'cpu';
      const wanted = this.options.inThread ?? (cpu && smallSelfContained(this.origin));
      const init: InThreadInit = { origin: this.origin, settings: sessionSettings(this.options) ?? {}, providers: this.providers, inputs: this.inputs, outputs: this.outputs, options: this.options };
      this.inThreadSpec = wanted && cpu ? { module: IN_THREAD_MODULE, init } : null;
    }
    return this.inThreadSpec ?? undefined;
  }

  private disposed = false;

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variants.drain()) await (await v.catch(() => undefined))?.release();
    await this.session.release();
  }
}

/** Models this size or smaller compute in a guest's thread by default (the twin is a second copy). */
export const IN_THREAD_MAX_MODEL_BYTES = 64 * 2 ** 20;

/** The in-thread module, built beside this one (tests run sources, against the built copy). */
const IN_THREAD_MODULE = fileURLToPath(import.meta.url.endsWith('.ts') ? new URL('../dist/in-thread.js', import.meta.url) : new URL('./in-thread.js', import.meta.url));

/** What a guest's worker needs to open a graph's twin (see in-thread.ts). */
export interface InThreadInit {
  origin: ModelOrigin;
  settings: SessionSettings;
  providers: string[];
  inputs: IoInfo[];
  outputs: IoInfo[];
  options: GraphOptions;
}

function smallSelfContained(origin: ModelOrigin): boolean {
  if (origin.kind === 'bytes') return origin.bytes.byteLength <= IN_THREAD_MAX_MODEL_BYTES && !origin.folder;
  if (statSync(origin.path).size > IN_THREAD_MAX_MODEL_BYTES) return false;
  try {
    return !usesExternalData(new Uint8Array(readFileSync(origin.path)));
  } catch {
    return false;
  }
}

/** The dimensions an input is fed with: a single value ([1]) for a rank-0 input becomes []. */
function feedDims(info: IoInfo, tensor: Tensor): readonly number[] {
  return info.shape.length === 0 && tensor.dimensions.length === 1 && tensor.dimensions[0] === 1 ? [] : tensor.dimensions;
}

function checkShape(info: IoInfo, dims: readonly number[]): void {
  const ok = dims.length === info.shape.length && info.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === dims[i]);
  if (!ok) {
    throw new NnError('invalid-argument', `input "${info.name}": got shape ${formatShape(dims)}, but the model expects ${formatShape(info.shape)} (names are free dimensions)`);
  }
}

export class OnnxContext implements ExecutionContext {
  constructor(private readonly graph: OnnxGraph) {}

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const { graph } = this;
    const plan = graph.plan(graph.engine, inputs);
    const session = await graph.sessionFor(plan.settings);
    let results: InferenceSession.ReturnType;
    try {
      results = await session.run(plan.feeds, plan.outputs.map((o) => o.sessionName));
    } catch (e) {
      throw runError(e);
    }
    return graph.results(plan, results as Record<string, OrtTensor>);
  }

  dispose(): void {}
}
