/**
 * `@wacs/browser`: runs a wasi:nn component guest in a web page, on backends built for the browser.
 *
 *   const { exitCode } = await runGuest('/guests/nn-compute/guest.js', {
 *     models: { mnist: '/models/mnist.onnx' }, args: ['mnist', …], backends: [onnxWeb], onStdout: print,
 *   });
 *
 * The guest runs in a dedicated Web Worker and sees only its WASI imports. Its wasi:nn calls are
 * synchronous and the engines asynchronous; two ways join them:
 * - in the guest's worker: where the browser has JavaScript Promise Integration (JSPI), the guest
 *   is transpiled for it (`jspiGuestUrl`) and every backend is given as a module the worker can
 *   import, the worker runs the host and the engines itself, and the guest awaits each answer
 *   suspended, with no thread in between and no need for shared memory;
 * - through the bridge: otherwise the backends run in the page, and the worker blocks in
 *   `Atomics.wait` while the page answers, which needs a cross-origin isolated page (COOP/COEP).
 * `guestUrl` is the guest transpiled by jco (`jco transpile guest.wasm --instantiation async`;
 * `wacs web` serves it so, and its JSPI transpilation beside it).
 */
import type { Backend } from '@wacs/core/backend';
import type { ModelSpec } from '@wacs/core/browser';
import { createBridgeMemory, serveBridge } from './bridge.js';
import { startGuestSession, type BoundBackend } from './guest-session.js';
import type { BackendModule, BackendReport, FromWorker, LoadReport, NnSetup, WorkerSetup } from './messages.js';

export { BrowserHost, fetchModel } from './host.js';
export type { BackendReport, LoadReport } from './messages.js';
export type { WebConfig, WebResult } from './web-config.js';

/** A backend as an ES module (its default export a `Backend`), which the guest's worker can import itself. */
export interface BackendModuleEntry {
  module: string | URL;
  priority?: number;
  /** For the module's `configure`, when it has one; `stdout` is added (where stream-stdout prints). */
  settings?: Record<string, unknown>;
}

export type BackendEntry = Backend | { backend: Backend; priority: number } | BackendModuleEntry;

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
  backends: BackendEntry[];
  /** The guest transpiled for JSPI (jco's `--async-mode jspi`, as `wacs web` serves it): lets the guest's worker host the backends. */
  jspiGuestUrl?: string | URL;
  /** `auto` (the default): in the guest's worker where it can be (see above), else through the bridge; `bridge`: through the page always. */
  nn?: 'auto' | 'bridge';
  /** Each model load: which backend took which model. */
  onLoad?: (load: LoadReport) => void;
  /** The bound backends and their hardware, once loaded. */
  onBackends?: (backends: BackendReport[]) => void;
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
  /** Where the guest's wasi:nn calls were answered: its own worker (JSPI), or the page through the bridge. */
  nn: NnSetup['kind'];
  /** Set when the guest could not start or was ended by the host: what happened, for a person. */
  error?: string;
}

export const EXIT = { guestError: 1, timeout: 124, aborted: 130, startFailure: 125, trap: 134 } as const;

function absolute(url: string | URL): string {
  return new URL(url, (globalThis as { location?: { href: string } }).location?.href).href;
}

const isModule = (entry: BackendEntry): entry is BackendModuleEntry => 'module' in entry;

/** JavaScript Promise Integration: a wasm import may return a promise and suspend its caller. */
const hasJspi = () => typeof (WebAssembly as { Suspending?: unknown }).Suspending === 'function';

/** The backends as bound, highest priority first unless given; modules by their absolute URL. */
function boundBackends(entries: BackendEntry[]): BoundBackend[] {
  return entries.map((entry, i) => {
    const priority = entries.length - i;
    if (isModule(entry)) return { url: absolute(entry.module), priority: entry.priority ?? priority, ...(entry.settings ? { settings: entry.settings } : {}) };
    return 'backend' in entry ? entry : { backend: entry, priority };
  });
}

const isBoundModule = (bound: BoundBackend): bound is BackendModule => 'url' in bound;

/** The page's side of the bridge: the backends imported or given here, and a host's operations served to the worker. */
async function servePage(bound: BoundBackend[], options: RunGuestOptions, models: Record<string, ModelSpec>, onStdout: (text: string) => void) {
  const session = await startGuestSession(bound, models, {
    stdout: onStdout,
    ...(options.onLoad ? { onLoad: options.onLoad } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  options.onBackends?.(session.reports);
  const memory = createBridgeMemory();
  const stopServing = serveBridge(memory, session.operations);
  return {
    memory,
    close: async () => {
      stopServing();
      await session.close();
    },
  };
}

export async function runGuest(guestUrl: string | URL, options: RunGuestOptions): Promise<RunGuestResult> {
  const models: Record<string, ModelSpec> = {};
  for (const [name, model] of Object.entries(options.models ?? {})) {
    const spec = typeof model === 'string' ? { path: model } : model;
    models[name] = { ...spec, path: absolute(spec.path) };
  }
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const print = (stream: 'stdout' | 'stderr', text: string) => (stream === 'stdout' ? options.onStdout : options.onStderr)?.(text);
  // In the guest's worker when the browser has JSPI, the guest comes transpiled for it, and every backend is a module.
  const jspiGuest = options.nn !== 'bridge' && hasJspi() ? options.jspiGuestUrl : undefined;
  const bound = boundBackends(options.backends);
  let page: Awaited<ReturnType<typeof servePage>> | undefined;
  let nn: NnSetup;
  let url: string;
  if (jspiGuest !== undefined && bound.every(isBoundModule)) {
    nn = { kind: 'in-worker', models, backends: bound };
    url = absolute(jspiGuest);
  } else {
    page = await servePage(bound, options, models, (text) => print('stdout', text));
    nn = { kind: 'bridge', memory: page.memory };
    url = absolute(guestUrl);
  }
  const worker = new Worker(options.workerUrl ?? new URL('./worker.js', import.meta.url), { type: 'module', name: 'wacs guest' });

  const result = await new Promise<Omit<RunGuestResult, 'nn'>>((resolve) => {
    const end = (r: Omit<RunGuestResult, 'nn'>) => {
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
      else if (data.type === 'load') options.onLoad?.(data.load);
      else if (data.type === 'backends') options.onBackends?.(data.backends);
      else print(data.type, decoders[data.type].decode(data.bytes, { stream: true }));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      end({ exitCode: EXIT.startFailure, error: `the guest's worker failed: ${event.message || 'it could not be loaded'}` });
    };
    const setup: WorkerSetup = {
      guestUrl: url,
      args: [options.programName ?? absolute(guestUrl).split('/').at(-2) ?? 'guest', ...(options.args ?? [])],
      env: options.env ?? {},
      files: options.files ?? {},
      stdin: typeof options.stdin === 'string' ? new TextEncoder().encode(options.stdin) : (options.stdin ?? new Uint8Array()),
      nn,
    };
    worker.postMessage(setup);
  });
  worker.terminate();
  await page?.close();
  return { ...result, nn: nn.kind };
}
