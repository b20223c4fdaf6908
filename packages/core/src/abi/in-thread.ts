/**
 * In-thread compute, for both front ends: where a graph's backend offers a synchronous twin
 * (`Graph.inThread`), the guest's worker opens it once per graph handle and its contexts compute
 * right there, with no round trip to the host thread. The host still owns the graph and context
 * handles; a graph with no twin computes through the bridge as before.
 */
import type { InThreadGraph, InThreadSpec } from '../backend.js';
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

interface Twin {
  graph: InThreadGraph;
  limits: TensorLimits;
  contexts: number;
  unloaded: boolean;
}

/** The twins one guest's worker has opened, by graph handle, each released with its last handle. */
export class InThreadTwins {
  /** Per graph handle: its twin, or null where there is none. */
  private readonly twins = new Map<number, Twin | null>();

  constructor(
    private readonly bridge: Pick<BridgeClient, 'call'>,
    private readonly open: InThreadOpener | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** The twin of a graph, asked of the host on first use. */
  private twin(graphHandle: number): Twin | null {
    if (!this.open) return null;
    let twin = this.twins.get(graphHandle);
    if (twin !== undefined) return twin;
    twin = null;
    const offer = this.bridge.call('inThread', [graphHandle]);
    if (offer) {
      try {
        const graph = this.open(offer.spec);
        if (graph) {
          twin = { graph, limits: offer.limits, contexts: 0, unloaded: false };
          traceMark('in-thread-twin-opened');
        }
      } catch (e) {
        this.log(`wacs: graph ${graphHandle} computes on the host thread: its in-thread twin did not open: ${(e as Error).message}`);
      }
    }
    this.twins.set(graphHandle, twin);
    return twin;
  }

  /** A new context on the graph's twin, for the host context `contextHandle`; undefined to compute through the host. */
  context(graphHandle: number, contextHandle: number): LocalContext | undefined {
    const twin = this.twin(graphHandle);
    if (!twin) return undefined;
    let context;
    try {
      context = twin.graph.createContext();
    } catch (e) {
      this.log(`wacs: context ${contextHandle} computes on the host thread: ${(e as Error).message}`);
      return undefined;
    }
    twin.contexts++;
    let disposed = false;
    return {
      compute: (inputs) => {
        for (const { name, tensor } of inputs) validateTensor(tensor, name, twin.limits);
        traceMark('in-thread-compute-start');
        try {
          return context.compute(inputs);
        } catch (e) {
          throw toNnError(e, 'runtime-error', 'compute');
        } finally {
          traceMark('in-thread-compute-done');
        }
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        context.dispose();
        twin.contexts--;
        this.release(graphHandle, twin);
      },
    };
  }

  /** The guest dropped its graph handle: the twin goes once its contexts have. */
  unload(graphHandle: number): void {
    const twin = this.twins.get(graphHandle);
    if (twin === null) this.twins.delete(graphHandle);
    if (!twin) return;
    twin.unloaded = true;
    this.release(graphHandle, twin);
  }

  private release(graphHandle: number, twin: Twin): void {
    if (twin.contexts > 0 || !twin.unloaded) return;
    this.twins.delete(graphHandle);
    twin.graph.dispose();
  }
}
