/**
 * The operations a guest's worker asks of the host thread, each a name, its argument tuple and its
 * result: the one list both sides are typed against, so a call with the wrong arguments, or a
 * host that forgets an operation, does not compile. Handles are the host's (`NnSession`); tensors
 * are named as in a compute. The wire carries `{ op, args }` (see channel.ts).
 */
import type { ExecutionTarget, GraphEncoding, InThreadSpec, Options } from '../backend.js';
import type { NamedTensor, TensorLimits } from '../tensor.js';

/** What the host offers for computing a graph in the guest's thread (see `Graph.inThread`). */
export interface InThreadOffer {
  spec: InThreadSpec;
  limits: TensorLimits;
}

export interface BridgeOperations {
  load(builders: Uint8Array[], encoding: GraphEncoding, target: ExecutionTarget): number;
  loadByName(name: string, config?: Options): number;
  initContext(graph: number): number;
  inThread(graph: number): InThreadOffer | null;
  compute(context: number, inputs: NamedTensor[]): NamedTensor[];
  /** The outputs a compute of these inputs would give so far (e.g. the prompt's token count), or null. */
  peekOutputs(context: number, inputs: NamedTensor[]): NamedTensor[] | null;
  /** Up to `max` stream steps, packed (compute_single, and the components' wacs:stream step; see stream-wire.ts). */
  streamSteps(context: number, inputs: NamedTensor[], max: number): Uint8Array;
  streamEnd(context: number): void;
  dropContext(context: number): void;
  dropGraph(graph: number): void;
}

export type BridgeOp = keyof BridgeOperations;
export type BridgeArgs<Op extends BridgeOp> = Parameters<BridgeOperations[Op]>;
export type BridgeResult<Op extends BridgeOp> = ReturnType<BridgeOperations[Op]>;
