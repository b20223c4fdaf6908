/**
 * The wasi:nn host, independent of any guest ABI: loads graphs through the backend registry,
 * shares graphs loaded by name between guests, and keeps each guest's handles in its own session.
 * Both front ends (component and preview1) translate onto `NnSession`.
 *
 * No file system here: where a named model lives is the subclass's business (`NnHost` in host.ts
 * probes host paths; the browser host probes URLs), so this file runs in a browser too.
 */
import type { Backend, ExecutionContext, ExecutionTarget, FormatProbe, Graph, GraphEncoding, InThreadSpec, Options } from './backend.js';
import { NnError, toNnError } from './errors.js';
import { ModelRegistry } from './model-registry.js';
import { probeBytes } from './sniff.js';
import { RELEASE_GRACE_MS, settleWithin } from './settle.js';
import { BackendRegistry } from './registry.js';
import { DEFAULT_TENSOR_LIMITS, validateTensor, type NamedTensor, type TensorLimits } from './tensor.js';
import { outputTokens, TokenTally } from './generated-tokens.js';

export interface HostOptions {
  limits?: TensorLimits;
  /** Where the host reports things for the person running it (default: stderr; console.error in a browser). */
  log?: (line: string) => void;
  /**
   * Called with the tokens each text generation produced (from its usage outputs), by the model's
   * registered name ('(bytes)' for a graph a guest loaded from bytes): the serve metrics count them.
   */
  onTokens?: (model: string, tokens: number) => void;
  /** Computes expected at once on a graph loaded by name (`wacs serve`'s instances), passed to its backend. */
  concurrency?: number;
}

interface SharedGraph {
  graph: Promise<Graph>;
}

/** Process-wide state: backends, named models and the graphs loaded by name. */
export abstract class NnHostBase {
  readonly limits: TensorLimits;
  readonly log: (line: string) => void;
  readonly onTokens?: (model: string, tokens: number) => void;
  readonly concurrency?: number;
  private readonly byName = new Map<string, SharedGraph>();
  private readonly enginesStarted = new Set<Backend>();

  constructor(
    readonly backends: BackendRegistry = new BackendRegistry(),
    readonly models: ModelRegistry = new ModelRegistry(),
    options: HostOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_TENSOR_LIMITS;
    this.log = options.log ?? ((line) => console.error(line));
    this.onTokens = options.onTokens;
    this.concurrency = options.concurrency;
  }

  /**
   * What the backends see of the named model at `path` (a host file, or a URL in a page). A model whose file is
   * missing fails here, when a guest loads it (not-found, reason model-not-found), as in WasmEdge.
   */
  protected abstract probeModel(path: string, name: string): Promise<FormatProbe>;

  session(): NnSession {
    return new NnSession(this);
  }

  /**
   * The graph registered under `name`, loaded once and shared by every guest and context that asks
   * for it.
   */
  async graphByName(name: string): Promise<Graph> {
    let shared = this.byName.get(name);
    if (!shared) {
      const load = this.loadNamed(name, {});
      shared = { graph: load };
      this.byName.set(name, shared);
      // A failed load is not cached: the next guest gets a fresh try (and the same clear error).
      load.catch(() => this.byName.delete(name));
    }
    return shared.graph;
  }

  /**
   * Loads the graph registered under `name` afresh, with `config` (WasmEdge's
   * load_by_name_with_config) added to its graph options; the caller owns (and disposes) it.
   */
  async loadNamed(name: string, config: Options): Promise<Graph> {
    let spec;
    try {
      spec = this.models.get(name);
    } catch (e) {
      this.log(`wacs: ${(e as Error).message}`);
      throw e;
    }
    let probe;
    try {
      probe = await this.probeModel(spec.path, name);
    } catch (e) {
      this.log(`wacs: ${(e as Error).message}`);
      throw e;
    }
    const { backend, encoding } = await this.backends.resolve(spec.encoding ?? 'autodetect', probe, spec.backend);
    return loadWith(backend, () =>
      backend.load({ source: { kind: 'path', path: spec.path }, encoding, target: spec.target ?? 'auto', options: { ...spec.options, ...config }, guestOptions: config, name, concurrency: this.concurrency }),
    );
  }

  /**
   * Starts the engines of the backends the registered models go to (see `Backend.startEngine`),
   * each once. Nothing is loaded and nothing is reported: a model that cannot load fails when a
   * guest asks for it, as ever. Settles (never rejects) when every start has ended.
   */
  async startEngines(): Promise<void> {
    await Promise.allSettled(this.models.names().map((name) => this.startEngineFor(name)));
  }

  private async startEngineFor(name: string): Promise<void> {
    const { backend } = await this.backendFor(name);
    if (this.enginesStarted.has(backend)) return;
    this.enginesStarted.add(backend);
    await backend.startEngine?.();
  }

  /** The backend a registered model goes to, and the model's options. */
  private async backendFor(name: string): Promise<{ backend: Backend; options: Options }> {
    const spec = this.models.get(name);
    const { backend } = await this.backends.resolve(spec.encoding ?? 'autodetect', await this.probeModel(spec.path, name), spec.backend);
    return { backend, options: spec.options ?? {} };
  }

  /**
   * What a guest's worker should start before the guest runs so that twins can open there (see
   * `Backend.inThreadPreparation`): one entry per distinct module and init, over the registered
   * models. A model whose backend cannot be resolved is left out (its load reports why).
   */
  async inThreadPreparations(): Promise<InThreadSpec[]> {
    const found = await Promise.allSettled(
      this.models.names().map(async (name) => {
        const { backend, options } = await this.backendFor(name);
        return backend.inThreadPreparation?.(options);
      }),
    );
    const unique = new Map<string, InThreadSpec>();
    for (const result of found) {
      if (result.status === 'fulfilled' && result.value) unique.set(JSON.stringify([result.value.module, result.value.init]), result.value);
    }
    return [...unique.values()];
  }

  /** Loads a graph from guest bytes; the caller owns (and disposes) it. */
  async graphFromBytes(builders: Uint8Array[], encoding: GraphEncoding, target: ExecutionTarget): Promise<Graph> {
    if (builders.length === 0 || builders.every((b) => b.byteLength === 0)) {
      throw new NnError('invalid-argument', 'load: the graph builders are empty');
    }
    const { backend, encoding: resolved } = await this.backends.resolve(encoding, probeBytes(builders));
    return loadWith(backend, () => backend.load({ source: { kind: 'bytes', builders }, encoding: resolved, target, options: {} }));
  }

  /** Disposes every shared graph and every backend. */
  async dispose(): Promise<void> {
    const graphs = [...this.byName.values()];
    this.byName.clear();
    for (const shared of graphs) {
      const graph = await shared.graph.catch(() => undefined);
      await graph?.dispose();
    }
    for (const backend of this.backends.list()) await backend.dispose?.();
  }
}

async function loadWith(backend: Backend, load: () => Promise<Graph>): Promise<Graph> {
  try {
    return await load();
  } catch (e) {
    throw toNnError(e, 'runtime-error', `${backend.name}: load failed`);
  }
}

/** Graphs loaded with a config (each a fresh copy of a model) one guest may hold at a time. */
const MAX_CONFIGURED_GRAPHS = 16;

/** A table of guest handles: small integers, never reused within a session. */
class HandleTable<T> {
  private readonly items = new Map<number, T>();
  private next = 0;

  add(item: T): number {
    const handle = this.next++;
    this.items.set(handle, item);
    return handle;
  }

  get(handle: number, what: string): T {
    const item = this.items.get(handle);
    if (item === undefined) throw new NnError('invalid-argument', `unknown ${what} handle ${handle}`);
    return item;
  }

  take(handle: number, what: string): T {
    const item = this.get(handle, what);
    this.items.delete(handle);
    return item;
  }

  values(): T[] {
    return [...this.items.values()];
  }
}

interface SessionGraph {
  graph: Graph;
  /** The registered name it was loaded by, for token counts. */
  name?: string;
  /** Graphs loaded from bytes or with a config belong to the session; plain named graphs to the host. */
  owned: boolean;
  /** Loaded by name with a config. */
  configured?: boolean;
  contexts: number;
  dropped: boolean;
}

interface SessionContext {
  context: ExecutionContext;
  graph: SessionGraph;
  stream?: AsyncIterator<NamedTensor[], NamedTensor[]>;
  /** The running token count of the stream, when the host counts tokens. */
  tally?: TokenTally;
}

/** One guest's view of the host: its graph and context handles. */
export class NnSession {
  private readonly graphs = new HandleTable<SessionGraph>();
  private readonly contexts = new HandleTable<SessionContext>();

  constructor(readonly host: NnHostBase) {}

  async load(builders: Uint8Array[], encoding: GraphEncoding, target: ExecutionTarget): Promise<number> {
    const graph = await this.host.graphFromBytes(builders, encoding, target);
    return this.graphs.add({ graph, owned: true, contexts: 0, dropped: false });
  }

  /**
   * A named graph: the host's shared one, or, with a config (options the guest chose), one of the
   * guest's own, released when it is dropped or the guest ends.
   */
  async loadByName(name: string, config?: Options): Promise<number> {
    if (!config || Object.keys(config).length === 0) {
      return this.graphs.add({ graph: await this.host.graphByName(name), name, owned: false, contexts: 0, dropped: false });
    }
    // Each config is a model loaded again: a guest holds a bounded number of them at a time.
    const configured = this.graphs.values().filter((g) => g.configured).length;
    if (configured >= MAX_CONFIGURED_GRAPHS) {
      throw new NnError('too-large', `this guest already holds ${configured} graphs loaded with a config (the limit): unload some first`);
    }
    return this.graphs.add({ graph: await this.host.loadNamed(name, config), name, owned: true, configured: true, contexts: 0, dropped: false });
  }

  async initContext(graphHandle: number): Promise<number> {
    const entry = this.graphs.get(graphHandle, 'graph');
    const context = await Promise.resolve(entry.graph.createContext()).catch((e) => {
      throw toNnError(e, 'runtime-error', 'init-execution-context');
    });
    entry.contexts++;
    return this.contexts.add({ context, graph: entry });
  }

  /**
   * How the guest's worker may run this graph's computes itself (see `Graph.inThread`), with the
   * tensor limits it must apply; null when the backend offers no such lane for it.
   */
  inThread(graphHandle: number): { spec: InThreadSpec; limits: TensorLimits } | null {
    const entry = this.graphs.get(graphHandle, 'graph');
    let spec: InThreadSpec | undefined;
    try {
      spec = entry.graph.inThread?.();
    } catch (e) {
      this.host.log(`wacs: in-thread compute unavailable, computing on the host thread: ${(e as Error).message}`);
    }
    return spec ? { spec, limits: this.host.limits } : null;
  }

  private checkInputs(inputs: NamedTensor[]): void {
    for (const { name, tensor } of inputs) validateTensor(tensor, name, this.host.limits);
  }

  async compute(contextHandle: number, inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const entry = this.contexts.get(contextHandle, 'execution context');
    this.checkInputs(inputs);
    let outputs: NamedTensor[];
    try {
      outputs = await entry.context.compute(inputs);
    } catch (e) {
      throw toNnError(e, 'runtime-error', 'compute');
    }
    if (this.host.onTokens) this.countTokens(entry, outputTokens(outputs));
    return outputs;
  }

  private countTokens(entry: SessionContext, tokens: number | undefined): void {
    if (tokens) this.host.onTokens?.(entry.graph.name ?? '(bytes)', tokens);
  }

  /** Outputs readable before (or after a failed) compute, or null where the backend has none. */
  async peekOutputs(contextHandle: number, inputs: NamedTensor[]): Promise<NamedTensor[] | null> {
    const entry = this.contexts.get(contextHandle, 'execution context');
    if (!entry.context.peekOutputs) return null;
    try {
      return await entry.context.peekOutputs(inputs);
    } catch (e) {
      throw toNnError(e, 'runtime-error', 'get_output');
    }
  }

  /**
   * One streaming step: the first call starts the stream with `inputs`, each call returns the next
   * token's outputs, and `null` means the sequence ended.
   */
  async streamNext(contextHandle: number, inputs: NamedTensor[]): Promise<NamedTensor[] | null> {
    const entry = this.contexts.get(contextHandle, 'execution context');
    if (!entry.stream) {
      if (!entry.context.stream) throw new NnError('unsupported-operation', 'this backend does not stream tokens');
      this.checkInputs(inputs);
      entry.stream = entry.context.stream(inputs);
      entry.tally = this.host.onTokens ? new TokenTally() : undefined;
    }
    try {
      const step = await entry.stream.next();
      if (step.done) return null;
      if (entry.tally) this.countTokens(entry, entry.tally.step(step.value));
      return step.value;
    } catch (e) {
      entry.stream = undefined;
      throw toNnError(e, 'runtime-error', 'compute_single');
    }
  }

  /** Ends a stream early (WasmEdge's fini_single). */
  async streamEnd(contextHandle: number): Promise<void> {
    const entry = this.contexts.get(contextHandle, 'execution context');
    const stream = entry.stream;
    entry.stream = undefined;
    await stream?.return?.([]);
  }

  async dropContext(contextHandle: number): Promise<void> {
    const entry = this.contexts.take(contextHandle, 'execution context');
    await this.release(entry);
    await this.releaseIfUnused(entry.graph);
  }

  /** Ends a context's stream and disposes it; a backend slow to do so does not hold the guest. */
  private async release(entry: SessionContext): Promise<void> {
    await settleWithin(
      (async () => {
        await entry.stream?.return?.([]);
        await entry.context.dispose();
      })(),
      RELEASE_GRACE_MS,
    );
    entry.graph.contexts--;
  }

  async dropGraph(graphHandle: number): Promise<void> {
    const entry = this.graphs.take(graphHandle, 'graph');
    entry.dropped = true;
    await this.releaseIfUnused(entry);
  }

  private async releaseIfUnused(entry: SessionGraph): Promise<void> {
    if (entry.dropped && entry.contexts === 0 && entry.owned) await settleWithin(entry.graph.dispose(), RELEASE_GRACE_MS);
  }

  /** Releases everything the guest left behind (it exited or was killed). */
  async close(): Promise<void> {
    for (const entry of this.contexts.values()) {
      await this.release(entry);
      await this.releaseIfUnused(entry.graph);
    }
    for (const entry of this.graphs.values()) {
      entry.dropped = true;
      await this.releaseIfUnused(entry);
    }
  }
}
