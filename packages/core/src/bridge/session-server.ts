/**
 * The host side of the bridge: every operation of operations.ts answered from one guest's
 * `NnSession`. It is a table typed by that list, so an operation left out, or answered with the
 * wrong arguments or result, does not compile.
 */
import type { MessagePort } from 'node:worker_threads';
import type { NnSession } from '../host.js';
import { traceMark } from '../trace.js';
import type { NamedTensor } from '../tensor.js';
import { BRIDGE_ARENA_BYTES, serveBridge, transferables, type BridgeMemory, type ServeBridgeOptions } from './channel.js';
import type { BridgeArgs, BridgeOp, BridgeResult } from './operations.js';
import { StreamSteps } from './stream-steps.js';
import { packSteps } from './stream-wire.js';

/**
 * A result, the buffers in it that may move to the worker rather than be copied, and the request's
 * own large buffers handed back for the worker's next large inputs (see channel.ts's BufferPool).
 */
interface Answer<T> {
  value: T;
  transfer?: ArrayBuffer[];
  recycle?: ArrayBuffer[];
}

type SessionOperations = { [Op in BridgeOp]: (...args: BridgeArgs<Op>) => Promise<Answer<BridgeResult<Op>>> };

/** Outputs the host is done with: their buffers move to the worker. */
function moved<T extends NamedTensor[] | null>(outputs: T): Answer<T> {
  return { value: outputs, transfer: outputs ? transferables(outputs.map((o) => o.tensor.data)) : [] };
}

function sessionOperations(session: NnSession): SessionOperations {
  const steps = new StreamSteps(session);
  return {
    load: async (builders, encoding, target) => ({ value: await session.load(builders, encoding, target) }),
    loadByName: async (name, config) => ({ value: await session.loadByName(name, config) }),
    initContext: async (graph) => ({ value: await session.initContext(graph) }),
    inThread: async (graph) => ({ value: session.inThread(graph) }),
    compute: async (context, inputs) => {
      const answer: Answer<NamedTensor[]> = moved(await session.compute(context, inputs));
      // Inputs that came by the port (large ones) go back for the worker's next large inputs.
      answer.recycle = transferables(inputs.filter((i) => i.tensor.data.byteLength > BRIDGE_ARENA_BYTES).map((i) => i.tensor.data));
      return answer;
    },
    peekOutputs: async (context, inputs) => moved(await session.peekOutputs(context, inputs)),
    streamSteps: async (context, inputs, max) => {
      const value = packSteps(await steps.next(context, inputs, max));
      return { value, transfer: [value.buffer as ArrayBuffer] };
    },
    streamEnd: async (context) => {
      await steps.settle(context);
      return { value: await session.streamEnd(context) };
    },
    dropContext: async (context) => {
      await steps.settle(context);
      return { value: await session.dropContext(context) };
    },
    dropGraph: async (graph) => ({ value: await session.dropGraph(graph) }),
  };
}

/** Serves one guest's wasi:nn calls from its session; returns a function that stops serving. */
export function serveSession(port: MessagePort, memory: BridgeMemory, session: NnSession, options?: ServeBridgeOptions): () => void {
  const operations = sessionOperations(session);
  return serveBridge(port, memory, async (op, args) => {
    if (!Object.hasOwn(operations, op)) throw new Error(`unknown bridge operation ${op}`);
    // The wire is untyped; the worker's BridgeClient.call is typed by the same list, so args fit op.
    const answer = operations[op as BridgeOp] as (...args: unknown[]) => Promise<Answer<unknown>>;
    traceMark(`host-${op}-start`);
    try {
      return await answer(...args);
    } finally {
      traceMark(`host-${op}-done`);
    }
  }, options);
}
