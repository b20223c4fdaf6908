/**
 * preview2-shim starts a thread of its own for I/O (files read as streams, stdin, sockets, polls)
 * the moment it is imported, and every guest worker imports it. Most guests never use it, yet
 * that thread costs each run about 20 ms of CPU and its memory. Called before the shim is
 * imported, `deferShimIoThread` defers the thread's start to the shim's first call that needs it.
 */
import { syncBuiltinESMExports } from 'node:module';
import workerThreads, { type WorkerOptions } from 'node:worker_threads';

const SHIM_IO_THREAD = /preview2-shim[\\/]lib[\\/]io[\\/]worker-thread\.js$/;

const RealWorker = workerThreads.Worker;

/** Stands in for the I/O thread until a call needs it; synckit uses only these members. */
class DeferredWorker {
  private real: InstanceType<typeof RealWorker> | undefined;
  private readonly listeners: Array<[string, (...args: unknown[]) => void]> = [];
  private unrefed = false;

  constructor(
    private readonly path: string | URL,
    private readonly options: WorkerOptions,
  ) {}

  on(event: string, listener: (...args: unknown[]) => void): this {
    this.listeners.push([event, listener]);
    this.real?.on(event, listener);
    return this;
  }

  unref(): void {
    this.unrefed = true;
    this.real?.unref();
  }

  postMessage(call: unknown): void {
    this.start().postMessage(call);
  }

  private start(): InstanceType<typeof RealWorker> {
    if (!this.real) {
      this.real = new RealWorker(this.path, this.options);
      for (const [event, listener] of this.listeners) this.real.on(event, listener);
      if (this.unrefed) this.real.unref();
    }
    return this.real;
  }
}

function isShimIoThread(path: unknown): path is string | URL {
  return (typeof path === 'string' || path instanceof URL) && SHIM_IO_THREAD.test(String(path));
}

/** Makes this thread's `new Worker(<the shim's I/O thread>)` a DeferredWorker; other workers start as ever. */
export function deferShimIoThread(): void {
  if (workerThreads.Worker !== RealWorker) return;
  const Worker = function (path: string | URL, options?: WorkerOptions) {
    if (isShimIoThread(path)) return new DeferredWorker(path, options ?? {});
    return new RealWorker(path, options);
  } as unknown as typeof RealWorker;
  Worker.prototype = RealWorker.prototype;
  workerThreads.Worker = Worker;
  // The shim imports `Worker` by name from node:worker_threads: the ESM view must follow.
  syncBuiltinESMExports();
}
