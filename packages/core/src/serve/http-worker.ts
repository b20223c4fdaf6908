/**
 * The worker thread a `wacs serve` guest runs in: one component instance at a time, one request at
 * a time. The host sends the compiled core modules once, then `instance` (a fresh instance with its
 * own wasi:nn bridge and session) and `request` messages; the worker answers `ready`, then for each
 * request `head`, `chunk`s and `end` as the guest writes its response, and `done` when the guest's
 * handler returns (or `trap` when it throws). A fresh instance is the last one put back as it was
 * just after instantiation where that is possible (instance-reset.ts), else a new one.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { componentNnImports } from '../abi/component.js';
import { BridgeClient, type BridgeMemory } from '../bridge/channel.js';
import type { BridgeArgs, BridgeOp } from '../bridge/operations.js';
import { lowerGuestThreadPriority } from '../runner/guest-priority.js';
import type { CoreModules } from '../runner/run.js';
import { configureWasiShims, deniedOutgoingHandler, wasiImport, type SandboxGrants } from '../runner/wasi-shims.js';
import { GUEST_MEMORY_IMPORT, type MemoryLimits } from '../runner/wasm-binary.js';
import { InstanceMemory } from './instance-memory.js';
import { InstanceSnapshot } from './instance-reset.js';
import { httpTypes, type HttpRequestData, type ResponseSink } from './wasi-http.js';

export interface HttpWorkerSetup extends SandboxGrants {
  /** Folder of the guest's jco transpilation. */
  dir: string;
  maxMemoryBytes?: number;
}

export type HostToWorker =
  | { core: CoreModules }
  | { instance: { port: MessagePort; bridge: BridgeMemory } }
  | { request: HttpRequestData };

export type WorkerToHost =
  | { ready: true }
  | { fatal: string }
  | { head: { status: number; headers: Array<[string, string]> } }
  | { chunk: Uint8Array }
  | { end: true }
  | { fail: string }
  | { done: true; trap?: string };

type Instantiate = (
  getCoreModule: (path: string) => Promise<WebAssembly.Module>,
  imports: unknown,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
) => Promise<Record<string, unknown>>;

interface IncomingHandler {
  handle(request: object, outparam: object): void;
}

const setup = workerData as HttpWorkerSetup;
const port = parentPort!;
const post = (message: WorkerToHost, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

lowerGuestThreadPriority();
configureWasiShims(setup);
const http = httpTypes();
let modules: Record<string, WebAssembly.Module> = {};
/** The limits of the memory a core module imports (a fresh instance per request: see instance-memory.ts). */
const importedMemory = new Map<WebAssembly.Module, MemoryLimits>();
let instantiate: Promise<Instantiate> | undefined;
let handler: IncomingHandler | undefined;
let memories: WebAssembly.Memory[] = [];
const instanceMemory = new InstanceMemory();
/** The state of the current instance just after instantiation, when it can be put back (compiled `resettable`). */
let snapshot: InstanceSnapshot | undefined;
let resettable = false;
/** The current instance's wasi:nn session: an instance put back keeps its imports and gets a new one. */
let bridgeClient: BridgeClient | undefined;
const nnCaller = { call: <Op extends BridgeOp>(op: Op, args: BridgeArgs<Op>) => bridgeClient!.call(op, args) };

/** The guest's `wasi:http/incoming-handler` export, whatever version jco named it by. */
function findHandler(exports: Record<string, unknown>): IncomingHandler | undefined {
  const named = Object.entries(exports).find(([name]) => name.startsWith('wasi:http/incoming-handler'))?.[1] ?? exports.incomingHandler;
  return typeof (named as IncomingHandler | undefined)?.handle === 'function' ? (named as IncomingHandler) : undefined;
}

/** Gives the worker a fresh instance for its next request, with the session behind `bridgePort`. */
async function freshInstance(bridgePort: MessagePort, bridge: BridgeMemory): Promise<void> {
  // Nor spinning for replies: many guests share the cores with the host (see BridgeClient).
  bridgeClient = new BridgeClient(bridgePort, bridge, { spin: false });
  if (handler && snapshot?.restorable) snapshot.restore();
  else await newInstance();
}

async function newInstance(): Promise<void> {
  handler = undefined;
  snapshot = undefined;
  instanceMemory.instanceOver();
  instantiate ??= import(pathToFileURL(join(setup.dir, 'guest.js')).href).then((m: { instantiate: Instantiate }) => m.instantiate);
  const overrides: Record<string, unknown> = {
    // No in-thread twins: engines live on the host thread only. Workers are ended at will (deadline,
    // client gone, shutdown), and a native engine torn down with its worker can take the process with it.
    ...componentNnImports(nnCaller),
    'wasi:http/types': http.imports,
    'wasi:http/outgoing-handler': deniedOutgoingHandler,
  };
  const imports = new Proxy(overrides, { get: (target, name: string) => target[name] ?? wasiImport(name) });
  const instanceMemories: WebAssembly.Memory[] = [];
  const importedMemories: WebAssembly.Memory[] = [];
  const coreInstances: WebAssembly.Instance[] = [];
  const exports = await (await instantiate)(
    async (path) => {
      const module = modules[path];
      if (!module) throw new Error(`the transpiled guest has no core module ${path}`);
      return module;
    },
    imports,
    async (module, coreImports) => {
      const limits = importedMemory.get(module);
      if (limits) {
        const memory = instanceMemory.take(limits);
        importedMemories.push(memory);
        coreImports = { ...coreImports, [GUEST_MEMORY_IMPORT.module]: { [GUEST_MEMORY_IMPORT.name]: memory } };
      }
      const instance = await WebAssembly.instantiate(module, coreImports);
      coreInstances.push(instance);
      for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) instanceMemories.push(value);
      return instance;
    },
  );
  handler = findHandler(exports);
  if (!handler) throw new Error('this component exports no wasi:http/incoming-handler');
  memories = instanceMemories;
  if (resettable) snapshot = InstanceSnapshot.take(exports, coreInstances, importedMemories);
}

function trapMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // A grow that would pass the cap fails inside the guest, which then traps (see guest-failure.ts).
  const limit = setup.maxMemoryBytes;
  if (limit !== undefined && memories.some((m) => m.buffer.byteLength > limit * 0.9)) {
    return `guest ran out of memory: its memory reached the --max-memory limit of ${limit / 2 ** 20} MiB, then it trapped (${message})`;
  }
  return `guest trapped: ${message}`;
}

function handle(request: HttpRequestData): void {
  const sink: ResponseSink = {
    head: (status, headers) => post({ head: { status, headers } }),
    chunk: (bytes) => {
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
      const chunk = owned ? bytes : bytes.slice();
      post({ chunk }, [chunk.buffer as ArrayBuffer]);
    },
    end: () => post({ end: true }),
    fail: (message) => post({ fail: message }),
  };
  const { request: incoming, outparam } = http.begin(request, sink);
  try {
    if (!handler) throw new Error('no instance is ready');
    handler.handle(incoming, outparam);
    post({ done: true });
  } catch (error) {
    handler = undefined; // a trapped instance is never used again
    post({ done: true, trap: trapMessage(error) });
  }
}

port.on('message', (message: HostToWorker) => {
  if ('core' in message) {
    modules = message.core.modules;
    resettable = message.core.resettable;
    for (const [name, limits] of Object.entries(message.core.memoryImports)) importedMemory.set(modules[name]!, limits);
  }
  else if ('instance' in message) {
    freshInstance(message.instance.port, message.instance.bridge).then(
      () => post({ ready: true }),
      (e: unknown) => post({ fatal: `could not start the guest: ${e instanceof Error ? e.message : String(e)}` }),
    );
  } else if ('request' in message) handle(message.request);
});
