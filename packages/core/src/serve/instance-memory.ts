/**
 * Linear memory for `wacs serve`'s fresh instances (core modules compiled with `importMemory`):
 * each new instance of a worker gets the memory of the instance before it, zeroed, instead of a
 * new one (a memory serves HANDOVERS instances at most).
 *
 * Why: each new memory (9 MiB for a StarlingMonkey guest) and each dropped one set off a full
 * collection of the worker's heap ("external memory pressure"). 300 instances in a loop took
 * 6.8–7.2 ms each with 48–51 mark-compacts; taking the last one's memory, 2.9 ms and 5 (zeroing
 * it: 0.3 ms). Zeroed, then written with the module's data segments as it instantiates, the memory
 * is what a new one would be. The instance that had it is over: it served its request, and nothing
 * calls into it later (a guest's handler runs to its end; jco's bindings register no finalizers).
 */
import { WASM_PAGE, type MemoryLimits } from '../runner/wasm-binary.js';

/**
 * Instances one memory serves before a new one is made. Dead instances go only in a collection,
 * and what V8 counts of them is mostly their memory; a new memory now and then keeps collections
 * coming. The cost in RSS, under `reliability.mjs` (fresh instances, concurrency 64, traps and
 * hangs): after 3,000 requests 1.0–1.4 GiB with a new memory per instance, 1.1–1.6 with this;
 * after 10,000, 1.2 GiB, 1.8 with this and 2.1 with no bound (one run each: noisy). The throughput:
 * 71–72 → 87–90 requests a second.
 */
const HANDOVERS = 8;

interface Held {
  memory: WebAssembly.Memory;
  limits: MemoryLimits;
  /** Instances that have had it. */
  uses: number;
}

export class InstanceMemory {
  private current?: Held;
  private finished?: Held;

  /** The current instance is over: its memory may go to the next. */
  instanceOver(): void {
    this.finished = this.current;
    this.current = undefined;
  }

  /**
   * The memory for the instance being made: the finished instance's, zeroed, when it has the same
   * limits and its starting size (one that grew is left to the collector), else a new one.
   */
  take(limits: MemoryLimits): WebAssembly.Memory {
    const finished = this.finished;
    this.finished = undefined;
    if (finished && finished.uses < HANDOVERS && sameLimits(finished.limits, limits) && finished.memory.buffer.byteLength === limits.initial * WASM_PAGE) {
      new Uint8Array(finished.memory.buffer).fill(0);
      this.current = { ...finished, uses: finished.uses + 1 };
    } else {
      this.current = { memory: new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum, shared: limits.shared }), limits, uses: 1 };
    }
    return this.current.memory;
  }
}

function sameLimits(a: MemoryLimits, b: MemoryLimits): boolean {
  return a.initial === b.initial && a.maximum === b.maximum && a.shared === b.shared;
}
