/**
 * The host's side of one serving worker: it gives the worker fresh guest instances (each with its
 * own wasi:nn session on this thread, so graphs and contexts a request opened are released with
 * it), hands it requests, and turns its messages into a response.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { BRIDGE_ARENA_BYTES, createBridgeMemory } from '../bridge/channel.js';
import type { NnHost, NnSession } from '../host.js';
import { serveSession } from '../bridge/session-server.js';
import type { CoreModules } from '../runner/run.js';
import { RELEASE_GRACE_MS, settleWithin } from '../settle.js';
import type { HostToWorker, HttpWorkerSetup, WorkerToHost } from './http-worker.js';
import type { HttpRequestData } from './wasi-http.js';

/** What the response side does with the worker's messages. */
export interface ResponseTarget {
  head(status: number, headers: Array<[string, string]>): void;
  chunk(bytes: Uint8Array): void;
  end(): void;
  fail(message: string): void;
}

export interface Handled {
  /** Set when the guest trapped (the instance is then replaced). */
  trap?: string;
}

export interface GuestProgram {
  setup: HttpWorkerSetup;
  core: CoreModules;
}

/** Built workers sit next to this bundle in dist/; from sources (vitest) use the built copy. */
function workerUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('../../dist/http-worker.js', import.meta.url) : new URL('./http-worker.js', import.meta.url);
}

let nextWorkerId = 1;

export class GuestWorker {
  readonly id = nextWorkerId++;
  private readonly worker: Worker;
  private session: { session: NnSession; stop: () => void; port: MessagePort } | undefined;
  private onMessage: ((message: WorkerToHost) => void) | undefined;
  private onExit: ((reason: string) => void) | undefined;
  private exitReason: string | undefined;
  /** Requests this instance has answered (with --reuse-instances, more than one). */
  handled = 0;
  /** The bridge's message arena, kept from one instance to the next. */
  private readonly arena = new SharedArrayBuffer(BRIDGE_ARENA_BYTES);

  constructor(
    program: GuestProgram,
    private readonly host: NnHost,
    /** Called once when the worker is gone, whatever the reason. */
    exited: (worker: GuestWorker) => void,
  ) {
    const limit = program.setup.maxMemoryBytes;
    this.worker = new Worker(workerUrl(), {
      workerData: program.setup,
      // The JS heap of the WASI layer is bounded too; linear memory is capped in the wasm itself.
      resourceLimits: limit ? { maxOldGenerationSizeMb: Math.max(64, Math.ceil(limit / 2 ** 20)) } : undefined,
      stdout: false,
      stderr: false,
    });
    this.worker.postMessage({ core: program.core } satisfies HostToWorker);
    this.worker.on('message', (message: WorkerToHost) => this.onMessage?.(message));
    this.worker.on('error', (e: Error & { code?: string }) => {
      this.exitReason =
        e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `guest ran out of memory (--max-memory ${limit! / 2 ** 20} MiB)` : `guest worker failed: ${e.message}`;
    });
    this.worker.on('exit', () => {
      this.exitReason ??= 'guest worker exited';
      this.onExit?.(this.exitReason);
      void this.releaseSession();
      exited(this);
    });
  }

  get alive(): boolean {
    return this.exitReason === undefined;
  }

  /** Replaces the worker's instance with a fresh one (and a fresh wasi:nn session). */
  async freshInstance(): Promise<void> {
    await this.releaseSession();
    const { port1, port2 } = new MessageChannel();
    // New control words for the new session; the arena (1 MiB, costly to allocate per request) is the worker's.
    const bridge = createBridgeMemory(this.arena);
    const session = this.host.session();
    // Brief spins: the host's event loop also serves HTTP, which a host waiting on one guest would hold up.
    this.session = { session, stop: serveSession(port1, bridge, session, { briefSpins: true }), port: port1 };
    this.handled = 0;
    await new Promise<void>((resolve, reject) => {
      this.onExit = (reason) => reject(new Error(reason));
      this.onMessage = (message) => {
        if ('ready' in message) resolve();
        else if ('fatal' in message) reject(new Error(message.fatal));
      };
      this.worker.postMessage({ instance: { port: port2, bridge } } satisfies HostToWorker, [port2]);
    }).finally(() => {
      this.onMessage = undefined;
      this.onExit = undefined;
    });
  }

  /** Runs one request; resolves when the guest's handler returns, rejects if the worker dies. */
  handle(request: HttpRequestData, target: ResponseTarget): Promise<Handled> {
    this.handled++;
    return new Promise<Handled>((resolve, reject) => {
      this.onExit = (reason) => reject(new Error(reason));
      this.onMessage = (message) => {
        if ('head' in message) target.head(message.head.status, message.head.headers);
        else if ('chunk' in message) target.chunk(message.chunk);
        else if ('end' in message) target.end();
        else if ('fail' in message) target.fail(message.fail);
        else if ('done' in message) resolve({ trap: message.trap });
      };
      this.worker.postMessage({ request } satisfies HostToWorker, [request.body.buffer as ArrayBuffer]);
    }).finally(() => {
      this.onMessage = undefined;
      this.onExit = undefined;
    });
  }

  /** Ends the worker now (a request past its deadline, a client gone, the server closing). */
  kill(reason: string): void {
    this.exitReason ??= reason;
    void this.worker.terminate();
  }

  private async releaseSession(): Promise<void> {
    const current = this.session;
    this.session = undefined;
    if (!current) return;
    current.stop();
    current.port.close();
    // A backend still busy with the guest's last call must not hold up the next instance.
    await settleWithin(current.session.close(), RELEASE_GRACE_MS);
  }
}
