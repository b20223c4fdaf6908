/**
 * A `wacs serve` instance put back, after its request, exactly as it was just after instantiation,
 * in place of a new instance: its linear memory and mutable globals (exported for this by
 * compileCoreModules with `resettable`) and its jco bindings' state (bindings-reset.ts).
 *
 * Why: instantiating a StarlingMonkey guest anew for each request (its default, so nothing passes
 * from one request or user to the next) cost about 8 ms of CPU a request on 2 cores, most of it
 * V8 making the instance and collecting the last ones. Copying back its 9 MiB memory costs 0.4 ms
 * on a quiet machine, 1–2 ms under load. (Comparing it block by block and writing back only the
 * blocks a request changed, a fifth of them, served no more requests a second in alternating runs.)
 *
 * What makes it the same as a new instance: everything a core instance can change lives in its
 * memory, its globals and its tables, and the modules were checked to change no table and drop no
 * segment (wasm-code-scan.ts); everything the bindings keep is restored by their own reset. Where
 * that cannot hold (a module that changes a table, bindings the pass could not make resettable, a
 * memory that grew during the request, a request that trapped), the worker instantiates afresh.
 */
import { MUTABLE_GLOBAL_EXPORT } from '../runner/wasm-binary.js';

/** The symbol (by `Symbol.for`) under which an instance's exports carry its bindings' reset (added by runner/bindings-reset.ts). */
export const RESET_BINDINGS = 'wacs:reset-bindings';

interface SavedMemory {
  memory: WebAssembly.Memory;
  bytes: Uint8Array;
}

interface SavedGlobal {
  global: WebAssembly.Global;
  value: unknown;
}

export class InstanceSnapshot {
  private constructor(
    private readonly memories: SavedMemory[],
    private readonly globals: SavedGlobal[],
    private readonly resetBindings: () => void,
  ) {}

  /**
   * The state of a component instance just made from `instances` (its core instances) and
   * `memories` (those it was given as imports), or undefined when its bindings cannot be reset.
   */
  static take(exports: object, instances: WebAssembly.Instance[], memories: WebAssembly.Memory[]): InstanceSnapshot | undefined {
    const resetBindings = (exports as Record<symbol, unknown>)[Symbol.for(RESET_BINDINGS)];
    if (typeof resetBindings !== 'function') return undefined;
    const memorySet = new Set(memories);
    const globals: SavedGlobal[] = [];
    for (const instance of instances) {
      for (const [name, value] of Object.entries(instance.exports)) {
        if (value instanceof WebAssembly.Memory) memorySet.add(value);
        else if (value instanceof WebAssembly.Global && name.startsWith(MUTABLE_GLOBAL_EXPORT)) {
          try {
            globals.push({ global: value, value: value.value });
          } catch {
            return undefined; // a v128 global: JavaScript can neither read nor set it
          }
        }
      }
    }
    const saved = [...memorySet].map((memory) => {
      const bytes = new Uint8Array(memory.buffer.slice(0));
      // Written back once now: pages the guest never touched are mapped in here, while the worker
      // starts, rather than by the first restore between two requests (8 workers' first restores
      // took 18–158 ms each under 8 concurrent chats; later ones about 1 ms).
      new Uint8Array(memory.buffer).set(bytes);
      return { memory, bytes };
    });
    return new InstanceSnapshot(saved, globals, resetBindings as () => void);
  }

  /** Whether `restore` gives back the instance as it was: no memory grew (none can shrink back). */
  get restorable(): boolean {
    return this.memories.every(({ memory, bytes }) => memory.buffer.byteLength === bytes.byteLength);
  }

  restore(): void {
    for (const { memory, bytes } of this.memories) new Uint8Array(memory.buffer).set(bytes);
    for (const { global, value } of this.globals) global.value = value;
    this.resetBindings();
  }
}
