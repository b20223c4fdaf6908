/**
 * Pre-instantiated guests for `wacs serve`. `instances` requests run at once; a request beyond
 * them waits in a bounded queue, and one beyond the queue is refused (the server answers 503).
 * Workers hold a ready instance before a request arrives; after a request the worker makes a fresh
 * one in the background (or keeps its instance, with `reuse`), and `spares` extra workers cover
 * that time so a request rarely waits for an instantiation.
 */
import type { NnHost } from '../host.js';
import { GuestWorker, type GuestProgram } from './guest-worker.js';

export interface PoolOptions {
  instances: number;
  queue: number;
  spares: number;
  reuse: boolean;
  log: (line: string) => void;
}

export class QueueFullError extends Error {}
export class PoolClosedError extends Error {}

interface Waiter {
  resolve(worker: GuestWorker): void;
  reject(error: Error): void;
}

/** After a failed instantiation, wait this long before the next try (a broken guest must not spin). */
const RETRY_MS = 1000;

export class InstancePool {
  private readonly ready: GuestWorker[] = [];
  private readonly workers = new Set<GuestWorker>();
  private readonly waiters: Waiter[] = [];
  private busyCount = 0;
  private preparing = 0;
  private closed = false;

  constructor(
    private readonly program: GuestProgram,
    private readonly host: NnHost,
    private readonly options: PoolOptions,
  ) {}

  /** Starts every worker and waits for their first instances; fails if the guest cannot start. */
  async start(): Promise<void> {
    const total = this.options.instances + this.options.spares;
    const first = Array.from({ length: total }, () => this.spawn());
    await Promise.all(first.map((worker) => this.prepare(worker, false)));
  }

  stats(): { busy: number; ready: number; queued: number; preparing: number } {
    return { busy: this.busyCount, ready: this.ready.length, queued: this.waiters.length, preparing: this.preparing };
  }

  /** A ready instance for one request; waits in the queue when all are busy. */
  acquire(signal?: AbortSignal): Promise<GuestWorker> {
    if (this.closed) return Promise.reject(new PoolClosedError('the server is shutting down'));
    if (this.busyCount < this.options.instances) {
      const worker = this.ready.pop();
      if (worker) {
        this.busyCount++;
        return Promise.resolve(worker);
      }
    }
    if (this.waiters.length >= this.options.queue) {
      return Promise.reject(new QueueFullError(`all ${this.options.instances} instances are busy and the queue (${this.options.queue}) is full`));
    }
    return new Promise<GuestWorker>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) {
          this.waiters.splice(at, 1);
          reject(signal.reason as Error);
        }
      });
    });
  }

  /** Gives an instance back after its request; `poisoned` (a trap) forces a fresh instance. */
  release(worker: GuestWorker, poisoned: boolean): void {
    this.busyCount--;
    if (!worker.alive) {
      this.dispatch();
      return; // the exit handler spawns its replacement
    }
    if (this.options.reuse && !poisoned) this.makeReady(worker);
    else void this.prepare(worker, true);
    this.dispatch();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new PoolClosedError('the server is shutting down'));
    for (const worker of this.workers) worker.kill('the server is shutting down');
  }

  private spawn(): GuestWorker {
    const worker = new GuestWorker(this.program, this.host, (gone) => this.exited(gone));
    this.workers.add(worker);
    return worker;
  }

  private exited(worker: GuestWorker): void {
    this.workers.delete(worker);
    const at = this.ready.indexOf(worker);
    if (at >= 0) this.ready.splice(at, 1);
    if (!this.closed) void this.prepare(this.spawn(), true);
  }

  /** Gives `worker` a fresh instance; `background` failures are logged and retried, not thrown. */
  private async prepare(worker: GuestWorker, background: boolean): Promise<void> {
    this.preparing++;
    try {
      await worker.freshInstance();
      this.makeReady(worker);
    } catch (e) {
      if (!background) throw e;
      if (this.closed || !worker.alive) return;
      this.options.log(`wacs serve: a fresh guest instance failed to start (${(e as Error).message}); retrying`);
      setTimeout(() => void this.prepare(worker, true), RETRY_MS).unref();
    } finally {
      this.preparing--;
    }
  }

  private makeReady(worker: GuestWorker): void {
    if (this.closed || !worker.alive) return;
    this.ready.push(worker);
    this.dispatch();
  }

  /** Hands ready instances to queued requests, within the in-flight bound. */
  private dispatch(): void {
    while (this.waiters.length > 0 && this.busyCount < this.options.instances && this.ready.length > 0) {
      const worker = this.ready.pop()!;
      this.busyCount++;
      this.waiters.shift()!.resolve(worker);
    }
  }
}
