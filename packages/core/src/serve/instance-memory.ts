/**
 * Linear memory for `wacs serve`'s fresh instances (core modules compiled with `importMemory`):
 * each new instance of a worker gets the memory of the instance before it, zeroed, instead of a
 * new one.
 *
 * Why: each new memory (9 MiB for a StarlingMonkey guest) and each dropped one set off a full
 * collection of the worker's heap ("external memory pressure"). 300 instances in a loop took
 * 6.8–7.2 ms each with 48–51 mark-compacts; taking the last one's memory, 2.9 ms and 5 (zeroing
 * it: 0.3 ms). Zeroed, then written with the module's data segments as it instantiates, the memory
 * is what a new one would be. The instance that had it is over: it served its request, and nothing
 * calls into it later (a guest's handler runs to its end; jco's bindings register no finalizers).
 */
import { WASM_PAGE, type MemoryLimits } from '../runner/wasm-binary.js';

export class InstanceMemory {
  private current?: { memory: WebAssembly.Memory; limits: MemoryLimits };
  private finished?: { memory: WebAssembly.Memory; limits: MemoryLimits };

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
    let memory: WebAssembly.Memory;
    if (finished && sameLimits(finished.limits, limits) && finished.memory.buffer.byteLength === limits.initial * WASM_PAGE) {
      memory = finished.memory;
      new Uint8Array(memory.buffer).fill(0);
    } else {
      memory = new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum, shared: limits.shared });
    }
    this.current = { memory, limits };
    return memory;
  }
}

function sameLimits(a: MemoryLimits, b: MemoryLimits): boolean {
  return a.initial === b.initial && a.maximum === b.maximum && a.shared === b.shared;
}
