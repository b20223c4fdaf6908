/**
 * The WIT front end (wasi:nn@0.2.0-rc-2024-10-28) for component guests, running in the guest's
 * worker. It builds the import objects jco's generated bindings call; tensors stay in the worker
 * until a compute, which is one bridge round trip carrying every input tensor (moved, not copied),
 * or none where the graph's backend offers an in-thread twin (see in-thread.ts).
 */
import type { BridgeClient } from '../bridge/channel.js';
import type { BridgeArgs, BridgeOp, BridgeResult } from '../bridge/operations.js';
import { STREAM_BATCH, unpackSteps } from '../bridge/stream-wire.js';
import { NnError, type ErrorCode } from '../errors.js';
import type { NamedTensor, TensorType } from '../tensor.js';
import type { ExecutionTarget, GraphEncoding } from '../backend.js';
import { InThreadTwins, type InThreadOpener, type LocalContext } from './in-thread.js';

export const WASI_NN_VERSION = '0.2.0-rc-2024-10-28';

/**
 * Token streaming for components, a wacs extension (wasi:nn's `compute` returns once the answer is
 * complete): a compute whose inputs include a tensor of this name is one streaming step. The first
 * step starts the stream with the other inputs; each step returns the next chunk's outputs, and an
 * empty list when the stream has ended. A step whose control tensor holds the text `end` stops the
 * stream early; after the end, the next step starts a new stream on the same context (a chat's
 * next turn). As preview1's compute_single does, a round trip brings every step the host has
 * ready (see bridge/stream-steps.ts), and the steps after the first are handed out here without
 * one: a guest that falls behind the generation catches up without waking the host per token.
 */
export const STREAM_INPUT = 'wacs:stream';

const symbolDispose: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

export interface ComponentOptions {
  /** Opens a graph's in-thread twin; without it every compute goes to the host. */
  openInThread?: InThreadOpener;
  /** Where the front end says why a graph computes on the host thread after all. */
  log?: (line: string) => void;
}

export function componentNnImports(bridge: Pick<BridgeClient, 'call'>, options: ComponentOptions = {}): Record<string, Record<string, unknown>> {
  const twins = new InThreadTwins(bridge, options.openInThread, options.log ?? (() => {}));

  class Tensor {
    constructor(
      private readonly dims: Uint32Array,
      private readonly type: TensorType,
      private readonly bytes: Uint8Array,
    ) {}
    dimensions(): Uint32Array {
      return this.dims;
    }
    ty(): TensorType {
      return this.type;
    }
    data(): Uint8Array {
      return this.bytes;
    }
    toWire(name: string): NamedTensor {
      return { name, tensor: { dimensions: Array.from(this.dims), type: this.type, data: this.bytes } };
    }
  }

  /** The wasi:nn `error` resource a failed call returns. */
  class NnErrorResource {
    constructor(private readonly error: NnError) {}
    code(): ErrorCode {
      return this.error.code;
    }
    data(): string {
      return this.error.message;
    }
  }

  /** Runs a wasi:nn call; a failure becomes `result::err(error)` (jco reads the `payload`). */
  function guard<T>(run: () => T): T {
    try {
      return run();
    } catch (e) {
      const err = e instanceof NnError ? e : new NnError('unknown', String(e));
      throw Object.assign(new Error(err.message), { payload: new NnErrorResource(err) });
    }
  }
  const call = <Op extends BridgeOp>(op: Op, args: BridgeArgs<Op>): BridgeResult<Op> => guard(() => bridge.call(op, args));

  class GraphExecutionContext {
    /** Steps of the live stream already brought from the host, not yet given to the guest. */
    private ready: Array<NamedTensor[] | null> = [];

    constructor(
      private readonly handle: number,
      private readonly local: LocalContext | undefined,
    ) {}
    compute(inputs: Array<[string, Tensor]>): Array<[string, Tensor]> {
      const control = inputs.find(([name]) => name === STREAM_INPUT);
      if (control) return this.streamStep(control[1], inputs.filter((input) => input !== control));
      // compute owns its input tensors (the guest gave them up), so the bridge may move their buffers.
      const wire = inputs.map(([name, tensor]) => tensor.toWire(name));
      const outputs = guard(() => (this.local ? this.local.compute(wire) : bridge.call('compute', [this.handle, wire])));
      return outputs.map(({ name, tensor }) => [name, new Tensor(Uint32Array.from(tensor.dimensions), tensor.type, tensor.data)]);
    }
    private streamStep(control: Tensor, inputs: Array<[string, Tensor]>): Array<[string, Tensor]> {
      if (new TextDecoder().decode(control.data()) === 'end') {
        this.ready = [];
        call('streamEnd', [this.handle]);
        return [];
      }
      if (this.ready.length === 0) {
        this.ready = unpackSteps(call('streamSteps', [this.handle, inputs.map(([name, tensor]) => tensor.toWire(name)), STREAM_BATCH]));
      }
      const outputs = this.ready.shift();
      // The end closes the stream on the host, so the next step starts a new one (a chat's next turn).
      if (!outputs) call('streamEnd', [this.handle]);
      return (outputs ?? []).map(({ name, tensor }) => [name, new Tensor(Uint32Array.from(tensor.dimensions), tensor.type, tensor.data)]);
    }
    [symbolDispose](): void {
      this.ready = [];
      this.local?.dispose();
      call('dropContext', [this.handle]);
    }
  }

  class Graph {
    constructor(private readonly handle: number) {}
    initExecutionContext(): GraphExecutionContext {
      const context = call('initContext', [this.handle]);
      return new GraphExecutionContext(context, guard(() => twins.context(this.handle, context)));
    }
    [symbolDispose](): void {
      call('dropGraph', [this.handle]);
      twins.unload(this.handle);
    }
  }

  function load(builders: Uint8Array[], encoding: GraphEncoding, target: ExecutionTarget): Graph {
    return new Graph(call('load', [builders, encoding, target]));
  }

  function loadByName(name: string): Graph {
    return new Graph(call('loadByName', [name]));
  }

  return {
    'wasi:nn/tensor': { Tensor },
    'wasi:nn/errors': { Error: NnErrorResource },
    'wasi:nn/inference': { GraphExecutionContext },
    'wasi:nn/graph': { Graph, load, loadByName },
  };
}
