/**
 * `@wacs/browser`: runs a wasi:nn component guest in a web page, on backends built for the browser.
 *
 *   const { exitCode } = await runGuest('/guests/nn-compute/guest.js', {
 *     models: { mnist: '/models/mnist.onnx' }, args: ['mnist', …], backends: [onnxWeb], onStdout: print,
 *   });
 *
 * The guest runs in a dedicated Web Worker and sees only its WASI imports; its synchronous wasi:nn
 * calls reach the (asynchronous) backends on the page through the worker + `Atomics.wait` bridge,
 * which needs a cross-origin isolated page (COOP/COEP headers). `guestUrl` is the guest transpiled
 * by jco (`jco transpile guest.wasm --instantiation async`; `wacs web` serves it so).
 */
import type { Backend } from '@wacs/core/backend';
import { BackendRegistry, ModelRegistry, type ModelSpec } from '@wacs/core/browser';
import { createBridgeMemory, serveBridge } from './bridge.js';
import { BrowserHost, componentOperations } from './host.js';
import type { FromWorker, WorkerSetup } from './messages.js';

export { BrowserHost, fetchModel } from './host.js';
export type { WebConfig, WebResult } from './web-config.js';

export interface RunGuestOptions {
  /** Named models for load-by-name: a URL, or a spec whose `path` is a URL (relative ones resolve against the page). */
  models?: Record<string, string | ModelSpec>;
  /** The guest's arguments (after argv[0]). */
  args?: string[];
  /** argv[0], by default the guest's file name. */
  programName?: string;
  /** The guest's environment: empty unless given. */
  env?: Record<string, string>;
  /** The guest's file system, preopened at `/`: relative path → contents. Empty unless given. */
  files?: Record<string, Uint8Array | string>;
  /** The guest's standard input: all of it, then end of file. Empty unless given. */
  stdin?: Uint8Array | string;
  /** Backends to bind, highest priority first (or with explicit priorities). */
  backends: Array<Backend | { backend: Backend; priority: number }>;
  /** Guest output as it comes (UTF-8 decoded, streaming-safe across chunks). */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
  /** Where the host reports things for the person running it (default: console.error). */
  log?: (line: string) => void;
  /** Ends the guest (exit code 124) after this many milliseconds. */
  timeoutMs?: number;
  /** Stops the guest when aborted (exit code 130). */
  signal?: AbortSignal;
  /** The worker script, when the bundle's own `worker.js` is served elsewhere. */
  workerUrl?: string | URL;
}

export interface RunGuestResult {
  exitCode: number;
  /** Set when the guest could not start or was ended by the host: what happened, for a person. */
  error?: string;
}

export const EXIT = { guestError: 1, timeout: 124, aborted: 130, startFailure: 125, trap: 134 } as const;

function absolute(url: string | URL): string {
  return new URL(url, (globalThis as { location?: { href: string } }).location?.href).href;
}

export async function runGuest(guestUrl: string | URL, options: RunGuestOptions): Promise<RunGuestResult> {
  const backends = new BackendRegistry();
  options.backends.forEach((entry, i) => {
    if ('backend' in entry) backends.register(entry.backend, entry.priority);
    else backends.register(entry, options.backends.length - i);
  });
  const models = new ModelRegistry();
  for (const [name, model] of Object.entries(options.models ?? {})) {
    const spec = typeof model === 'string' ? { path: model } : model;
    models.add(name, { ...spec, path: absolute(spec.path) });
  }
  const host = new BrowserHost(backends, models, options.log ? { log: options.log } : {});
  const session = host.session();
  const memory = createBridgeMemory();
  const stopServing = serveBridge(memory, componentOperations(session));
  const url = absolute(guestUrl);
  const worker = new Worker(options.workerUrl ?? new URL('./worker.js', import.meta.url), { type: 'module', name: 'wacs guest' });
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  const result = await new Promise<RunGuestResult>((resolve) => {
    const end = (r: RunGuestResult) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve(r);
    };
    const timer = options.timeoutMs ? setTimeout(() => end({ exitCode: EXIT.timeout, error: `the guest ran past ${options.timeoutMs} ms` }), options.timeoutMs) : undefined;
    const abort = () => end({ exitCode: EXIT.aborted, error: 'the guest was stopped' });
    options.signal?.addEventListener('abort', abort);
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => {
      if (data.type === 'exit') end({ exitCode: data.exitCode });
      else if (data.type === 'fatal') end({ exitCode: EXIT.startFailure, error: data.message });
      else {
        const text = decoders[data.type].decode(data.bytes, { stream: true });
        (data.type === 'stdout' ? options.onStdout : options.onStderr)?.(text);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      end({ exitCode: EXIT.startFailure, error: `the guest's worker failed: ${event.message || 'it could not be loaded'}` });
    };
    const setup: WorkerSetup = {
      guestUrl: url,
      args: [options.programName ?? url.split('/').at(-2) ?? 'guest', ...(options.args ?? [])],
      env: options.env ?? {},
      files: options.files ?? {},
      stdin: typeof options.stdin === 'string' ? new TextEncoder().encode(options.stdin) : (options.stdin ?? new Uint8Array()),
      bridge: memory,
    };
    worker.postMessage(setup);
  });
  worker.terminate();
  stopServing();
  await session.close();
  await host.dispose();
  return result;
}
