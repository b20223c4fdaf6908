/**
 * The WIT front end (wasi:nn@0.2.0-rc-2024-10-28) for component guests, running in the guest's
 * worker. It builds the import objects jco's generated bindings call; tensors stay in the worker
 * until a compute, which is one bridge round trip carrying every input tensor (moved, not copied),
 * or none where the graph's backend offers an in-thread twin (see in-thread.ts).
 *
 * The host answers either now (the blocking bridge: Node's worker, a page's `Atomics.wait`) or
 * later (a host in the guest's own thread, reached through JSPI: jco's bindings then await what
 * these imports return). One front end serves both: each call continues with `then`, which waits
 * only for an answer that is a promise.
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

/** One decoder for every stream step's control text (a new one per step showed in profiles). */
const utf8 = new TextDecoder();

const symbolDispose: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** The host as the front end calls it: a blocking bridge answers now, a JSPI host with a promise. */
export interface NnCaller {
  call<Op extends BridgeOp>(op: Op, args: BridgeArgs<Op>): BridgeResult<Op> | Promise<BridgeResult<Op>>;
}

type Answer<T> = T | Promise<T>;

/** `next(value)` now, or once `value` resolves. */
function then<T, U>(value: Answer<T>, next: (value: T) => U | Promise<U>): Answer<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export interface ComponentOptions {
  /** Opens a graph's in-thread twin (with the blocking bridge only); without it every compute goes to the host. */
  openInThread?: InThreadOpener;
  /** Where the front end says why a graph computes on the host thread after all. */
  log?: (line: string) => void;
}

export function componentNnImports(bridge: Pick<BridgeClient, 'call'>, options?: ComponentOptions): Record<string, Record<string, unknown>>;
export function componentNnImports(bridge: NnCaller, options?: Omit<ComponentOptions, 'openInThread'>): Record<string, Record<string, unknown>>;
export function componentNnImports(bridge: NnCaller, options: ComponentOptions = {}): Record<string, Record<string, unknown>> {
  const log = options.log ?? (() => {});
  // The overloads give an opener only with the blocking bridge, whose answers twins read at once.
  const twins = new InThreadTwins(bridge as Pick<BridgeClient, 'call'>, options.openInThread, log);

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

  /** A failure as `result::err(error)` (jco reads the `payload`). */
  function guestError(e: unknown): Error {
    const err = e instanceof NnError ? e : new NnError('unknown', String(e));
    return Object.assign(new Error(err.message), { payload: new NnErrorResource(err) });
  }
  /** Runs a wasi:nn call that answers now; a failure becomes the guest's error. */
  function guard<T>(run: () => T): T {
    try {
      return run();
    } catch (e) {
      throw guestError(e);
    }
  }
  /** Calls the host; a failure, now or later, becomes the guest's error. */
  const call = <Op extends BridgeOp>(op: Op, args: BridgeArgs<Op>): Answer<BridgeResult<Op>> => {
    const answer = guard(() => bridge.call(op, args));
    return answer instanceof Promise
      ? answer.catch((e: unknown) => {
          throw guestError(e);
        })
      : answer;
  };
  /** A call whose answer the guest does not wait for (a resource drop: jco calls those synchronously). */
  const send = <Op extends BridgeOp>(op: Op, args: BridgeArgs<Op>): void => {
    const answer = call(op, args);
    if (answer instanceof Promise) answer.catch((e: { message?: string }) => log(`wacs: ${op} failed: ${e.message ?? String(e)}`));
  };
  const toGuest = (outputs: NamedTensor[]): Array<[string, Tensor]> =>
    outputs.map(({ name, tensor }) => [name, new Tensor(Uint32Array.from(tensor.dimensions), tensor.type, tensor.data)]);

  class GraphExecutionContext {
    /** Steps of the live stream already brought from the host, not yet given to the guest. */
    private ready: Array<NamedTensor[] | null> = [];

    constructor(
      private readonly handle: number,
      private readonly local: LocalContext | undefined,
    ) {}
    compute(inputs: Array<[string, Tensor]>): Answer<Array<[string, Tensor]>> {
      const control = inputs.find(([name]) => name === STREAM_INPUT);
      if (control) return this.streamStep(control[1], inputs.filter((input) => input !== control));
      // compute owns its input tensors (the guest gave them up), so the bridge may move their buffers.
      const wire = inputs.map(([name, tensor]) => tensor.toWire(name));
      const local = this.local;
      return then(local ? guard(() => local.compute(wire)) : call('compute', [this.handle, wire]), toGuest);
    }
    private streamStep(control: Tensor, inputs: Array<[string, Tensor]>): Answer<Array<[string, Tensor]>> {
      if (utf8.decode(control.data()) === 'end') {
        this.ready = [];
        return then(call('streamEnd', [this.handle]), () => []);
      }
      const take = (): Answer<Array<[string, Tensor]>> => {
        const outputs = this.ready.shift();
        // The end closes the stream on the host, so the next step starts a new one (a chat's next turn).
        return outputs ? toGuest(outputs) : then(call('streamEnd', [this.handle]), () => []);
      };
      if (this.ready.length > 0) return take();
      return then(call('streamSteps', [this.handle, inputs.map(([name, tensor]) => tensor.toWire(name)), STREAM_BATCH]), (packed) => {
        this.ready = unpackSteps(packed);
        return take();
      });
    }
    [symbolDispose](): void {
      this.ready = [];
      this.local?.dispose();
      send('dropContext', [this.handle]);
    }
  }

  class Graph {
    constructor(private readonly handle: number) {}
    initExecutionContext(): Answer<GraphExecutionContext> {
      return then(call('initContext', [this.handle]), (context) => new GraphExecutionContext(context, guard(() => twins.context(this.handle, context))));
    }
    [symbolDispose](): void {
      send('dropGraph', [this.handle]);
      twins.unload(this.handle);
    }
  }

  function load(builders: Uint8Array[], encoding: GraphEncoding, target: ExecutionTarget): Answer<Graph> {
    return then(call('load', [builders, encoding, target]), (handle) => new Graph(handle));
  }

  function loadByName(name: string): Answer<Graph> {
    return then(call('loadByName', [name]), (handle) => new Graph(handle));
  }

  return {
    'wasi:nn/tensor': { Tensor },
    'wasi:nn/errors': { Error: NnErrorResource },
    'wasi:nn/inference': { GraphExecutionContext },
    'wasi:nn/graph': { Graph, load, loadByName },
  };
}
