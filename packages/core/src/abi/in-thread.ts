/**
 * In-thread compute, for both front ends: where a graph's backend offers a synchronous twin
 * (`Graph.inThread`), the guest's worker opens it once per graph handle, at the graph's second
 * compute, and its contexts compute right there, with no round trip to the host thread. The host
 * still owns the graph and context handles; a graph with no twin computes through the bridge as before.
 */
import type { InThreadContext, InThreadGraph, InThreadSpec } from '../backend.js';
import type { BridgeClient } from '../bridge/channel.js';
import { toNnError } from '../errors.js';
import { traceMark } from '../trace.js';
import { validateTensor, type NamedTensor, type TensorLimits } from '../tensor.js';

/** Opens a twin (undefined: none in this thread); the Node workers use `requireInThread` (require-in-thread.ts), tests their own. */
export type InThreadOpener = (spec: InThreadSpec) => InThreadGraph | undefined;

/** A context computing in the guest's thread: the host's tensor limits applied, errors as the host gives them. */
export interface LocalContext {
  compute(inputs: NamedTensor[]): NamedTensor[];
  dispose(): void;
}

/** What a guest's worker knows of one graph handle's twin. */
interface GraphTwin {
  /** The host's offer (see `Graph.inThread`). */
  spec: InThreadSpec;
  limits: TensorLimits;
  /** Computes made through the host so far; the twin opens at the next one (see HOST_COMPUTES). */
  hostComputes: number;
  /** The twin once opened; null where it did not open. */
  graph?: InThreadGraph | null;
  /** Contexts on this graph handle not yet disposed. */
  contexts: number;
  unloaded: boolean;
}

/**
 * A graph's first compute goes through the host, and its twin opens at the second. Opening a twin
 * loads the engine in the guest's thread and the model a second time (onnxruntime: a new session),
 * which a guest that computes once, a one-shot `wacs run`, would pay for nothing.
 */
const HOST_COMPUTES = 1;

/** The twins one guest's worker has opened, by graph handle, each released with its last handle. */
export class InThreadTwins {
  /** Per graph handle: what is known of its twin, or null where the host offers none. */
  private readonly graphs = new Map<number, GraphTwin | null>();

  constructor(
    private readonly bridge: Pick<BridgeClient, 'call'>,
    private readonly open: InThreadOpener | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** The host's offer for a graph, asked for once per graph handle. */
  private offer(graphHandle: number): GraphTwin | null {
    if (!this.open) return null;
    let known = this.graphs.get(graphHandle);
    if (known !== undefined) return known;
    const offer = this.bridge.call('inThread', [graphHandle]);
    known = offer ? { spec: offer.spec, limits: offer.limits, hostComputes: 0, contexts: 0, unloaded: false } : null;
    this.graphs.set(graphHandle, known);
    return known;
  }

  /** The graph's twin, opened on first use; null where it does not open. */
  private opened(graphHandle: number, known: GraphTwin): InThreadGraph | null {
    if (known.graph !== undefined) return known.graph;
    known.graph = null;
    try {
      known.graph = this.open!(known.spec) ?? null;
      if (known.graph) traceMark('in-thread-twin-opened');
    } catch (e) {
      this.log(`wacs: graph ${graphHandle} computes on the host thread: its in-thread twin did not open: ${(e as Error).message}`);
    }
    return known.graph;
  }

  /**
   * A context for the host context `contextHandle` whose computes run on the graph's twin once it
   * has opened (through the host before that, or where it does not open); undefined where the host
   * offers no twin, to compute through the host.
   */
  context(graphHandle: number, contextHandle: number): LocalContext | undefined {
    const known = this.offer(graphHandle);
    if (!known) return undefined;
    known.contexts++;
    /** The twin's context once made; null where there is none. */
    let local: InThreadContext | null | undefined;
    let disposed = false;
    const throughHost = (inputs: NamedTensor[]) => {
      known.hostComputes++;
      // Inputs may be views of guest memory (borrowed): the bridge gets copies.
      const owned = inputs.map(({ name, tensor }) => ({ name, tensor: { ...tensor, data: tensor.data.slice() } }));
      return this.bridge.call('compute', [contextHandle, owned]);
    };
    return {
      compute: (inputs) => {
        if (local === undefined && known.hostComputes >= HOST_COMPUTES) local = this.twinContext(graphHandle, known, contextHandle);
        if (!local) return throughHost(inputs);
        for (const { name, tensor } of inputs) validateTensor(tensor, name, known.limits);
        traceMark('in-thread-compute-start');
        try {
          return local.compute(inputs);
        } catch (e) {
          throw toNnError(e, 'runtime-error', 'compute');
        } finally {
          traceMark('in-thread-compute-done');
        }
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        local?.dispose();
        known.contexts--;
        this.release(graphHandle, known);
      },
    };
  }

  /** A new context on the graph's twin; null to go on computing through the host. */
  private twinContext(graphHandle: number, known: GraphTwin, contextHandle: number): InThreadContext | null {
    const graph = this.opened(graphHandle, known);
    if (!graph) return null;
    try {
      return graph.createContext();
    } catch (e) {
      this.log(`wacs: context ${contextHandle} computes on the host thread: ${(e as Error).message}`);
      return null;
    }
  }

  /** The guest dropped its graph handle: the twin goes once its contexts have. */
  unload(graphHandle: number): void {
    const known = this.graphs.get(graphHandle);
    if (known === null) this.graphs.delete(graphHandle);
    if (!known) return;
    known.unloaded = true;
    this.release(graphHandle, known);
  }

  private release(graphHandle: number, known: GraphTwin): void {
    if (known.contexts > 0 || !known.unloaded) return;
    this.graphs.delete(graphHandle);
    known.graph?.dispose();
  }
}
