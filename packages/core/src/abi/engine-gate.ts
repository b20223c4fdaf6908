/**
 * A guest's worker may be ended only while none of its in-thread twins' native code runs.
 * onnxruntime-node, like other node-addon-api engines, aborts the whole process when a native call
 * returns into a JavaScript environment that is being torn down (it throws from a failed
 * `napi_throw`): `worker.terminate()` during a twin's compute took `wacs run --timeout` down with
 * exit 134 instead of 124, six runs in eight on mnist. (`wacs serve` has no twins in its workers.)
 *
 * So each call into a twin holds a gate, one Int32 shared by the guest's worker and the host: the
 * worker enters only while the gate is open, and the host shuts it, waiting out a call in progress,
 * before it terminates the worker.
 */
import type { InThreadOpener } from './in-thread.js';

/** Bits of the gate's Int32: the worker is in a twin call; the host is ending the worker. */
const IN_ENGINE = 1;
const SHUT = 2;

/** The gate's memory, made by the host and given to the worker with its setup. */
export function createEngineGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/** The worker's side: runs each call into a twin with the gate held (calls never nest). */
function holdGate(gate: SharedArrayBuffer): <T>(call: () => T) => T {
  const state = new Int32Array(gate);
  return (call) => {
    if (Atomics.compareExchange(state, 0, 0, IN_ENGINE) !== 0) {
      // The host is ending this thread: wait here, outside the engine, for the end to arrive.
      for (;;) Atomics.wait(state, 0, SHUT);
    }
    try {
      return call();
    } finally {
      Atomics.and(state, 0, ~IN_ENGINE);
      Atomics.notify(state, 0);
    }
  };
}

/** An opener whose twins, and their contexts, call into their engine only with the gate held. */
export function gatedOpener(open: InThreadOpener, gate: SharedArrayBuffer): InThreadOpener {
  const held = holdGate(gate);
  return (spec) => {
    const graph = held(() => open(spec));
    if (!graph) return undefined;
    return {
      createContext() {
        const context = held(() => graph.createContext());
        return {
          compute: (inputs) => held(() => context.compute(inputs)),
          dispose: () => held(() => context.dispose()),
        };
      },
      dispose: () => held(() => graph.dispose()),
    };
  };
}

/**
 * The host's side: shuts the gate at once (no twin call starts after this), then waits for the
 * call in progress, if any, to return. Once this resolves, terminating the worker is safe.
 */
export async function shutEngineGate(gate: SharedArrayBuffer): Promise<void> {
  const state = new Int32Array(gate);
  Atomics.or(state, 0, SHUT);
  for (let seen = Atomics.load(state, 0); seen & IN_ENGINE; seen = Atomics.load(state, 0)) {
    await Atomics.waitAsync(state, 0, seen).value;
  }
}
