/**
 * Runs a guest in a worker thread: the guest gets WASI with nothing granted but what the caller
 * passes (args, env, preopened dirs), and wasi:nn served by an `NnSession` on this thread through
 * the sync bridge. Enforces the time limit (the worker is terminated) and the memory limit.
 */
import { statSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import v8 from 'node:v8';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { createEngineGate, shutEngineGate } from '../abi/engine-gate.js';
import { createBridgeMemory, type BridgeMemory } from '../bridge/channel.js';
import { serveSession } from '../bridge/session-server.js';
import type { NnHost } from '../host.js';
import { WASI_NN_VERSION } from '../abi/component.js';
import { defaultCacheDir, prepareCompiled, prepareComponent, type PreparedComponent } from './component-cache.js';
import { artifactFor, isComponentArtifact, unpackArtifact } from './component-artifact.js';
import { checkModuleImports } from '../abi/preview1/import-check.js';
import { capModuleMemory, exportMutableGlobalsInPlace, guestMemoryImport, patchModuleMemoryInPlace, wasmKind, type MemoryLimits, type MemoryPatch } from './wasm-binary.js';
import { stateOutsideMemory } from './wasm-code-scan.js';
import { hintInterpreterLoopsInPlace } from './interpreter-loops.js';
import { RELEASE_GRACE_MS, settleWithin } from '../settle.js';
import { traceMark } from '../trace.js';
import { sendPreparations } from './twin-preparation.js';

export interface DirGrant {
  host: string;
  guest: string;
  /** Refuse every write under this folder (WasmEdge's `:readonly`). */
  readonly?: boolean;
}

export interface RunOptions {
  /** Program name the guest sees as argv[0]. */
  programName?: string;
  args?: string[];
  env?: Record<string, string>;
  dirs?: DirGrant[];
  /** Kill the guest after this many milliseconds. */
  timeoutMs?: number;
  /** Cap on the guest's linear memory, in bytes. */
  maxMemoryBytes?: number;
  cacheDir?: string;
  /**
   * Preview1 guests, graphs computed in the guest's thread: compute reads inputs where set_input
   * found them instead of from a copy (see `Preview1Options.borrowInputs`).
   */
  borrowInputs?: boolean;
  /**
   * A `wacs compile` artifact of the component (e.g. `guest.wacs` beside `guest.wasm`), used
   * instead of transpiling when the component is not in the cache yet. One made from another
   * build of the component, or by another jco, is passed over with a note on stderr.
   */
  artifactPath?: string;
}

export interface RunResult {
  exitCode: number;
  /** Set when wacs ended the guest or the guest failed to start: what happened, for a person. */
  error?: string;
}

/** Exit codes wacs itself uses (the guest's own exit code passes through otherwise). */
export const EXIT = { guestError: 1, usage: 2, timeout: 124, startFailure: 125, trap: 134, memory: 137 } as const;

/** What every guest worker needs (structured-cloned into it). */
export interface GuestSetup {
  args: string[];
  env: Record<string, string>;
  preopens: Record<string, string>;
  /** Guest paths of the preopens granted read-only. */
  readonlyDirs: string[];
  maxMemoryBytes?: number;
  borrowInputs?: boolean;
  bridge: BridgeMemory;
  port: MessagePort;
  /** Held around each in-thread twin call; shut before the worker is terminated (engine-gate.ts). */
  engineGate: SharedArrayBuffer;
}

/** A component's worker: the folder of its jco transpilation. */
export interface WorkerSetup extends GuestSetup {
  dir: string;
}

/** A preview1 core module's worker: the module, compiled with its memory capped. */
export interface ModuleWorkerSetup extends GuestSetup {
  module: WebAssembly.Module;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Built workers sit next to this bundle in dist/; from sources (vitest) use the built copy. */
function workerUrl(file: string): URL {
  return import.meta.url.endsWith('.ts') ? new URL(`../../dist/${file}`, import.meta.url) : new URL(`./${file}`, import.meta.url);
}

// Guests are large (a JS engine compiled to wasm is ~12 MB) and use a fraction of their functions:
// compiling each function on first call cuts start-up several times, at no cost once warm.
v8.setFlagsFromString('--wasm-lazy-compilation');

/** A component's core modules, compiled. */
export interface CoreModules {
  /** By file name. */
  modules: Record<string, WebAssembly.Module>;
  /** By file name, the memory a module imports as GUEST_MEMORY_IMPORT (compiled with `importMemory`). */
  memoryImports: Record<string, MemoryLimits>;
  /**
   * Compiled with `resettable`, and every module keeps its state in its memory and its mutable
   * globals (exported as MUTABLE_GLOBAL_EXPORT + index): an instance can be put back as it was
   * just after instantiation (see serve/instance-reset.ts).
   */
  resettable: boolean;
}

/**
 * Compiles a component's core modules: memories capped to the memory limit and, for instances
 * that live long (`shared`), declared shared (see guest-memory-sharing.ts); with `importMemory`,
 * each module's memory becomes an import the instantiating worker fills (see MemoryPatch); with
 * `resettable`, mutable globals are exported and the code is checked for state outside them.
 */
export async function compileCoreModules(
  dir: string,
  maxMemoryBytes: number | undefined,
  { shared, importMemory = false, resettable = false }: { shared: boolean; importMemory?: boolean; resettable?: boolean },
): Promise<CoreModules> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.wasm'));
  const patch: MemoryPatch = { maxBytes: maxMemoryBytes, shared, importMemory };
  const core: CoreModules = { modules: {}, memoryImports: {}, resettable };
  await Promise.all(
    names.map(async (name) => {
      let bytes = await readPatchedModule(join(dir, name), patch);
      if (resettable) {
        const globals = exportMutableGlobalsInPlace(new Uint8Array(bytes.buffer), bytes.byteOffset);
        bytes = globals.module;
        if (!globals.exported || stateOutsideMemory(bytes) !== 'none') core.resettable = false;
      }
      const memory = importMemory ? guestMemoryImport(bytes) : undefined;
      if (memory) core.memoryImports[name] = memory;
      core.modules[name] = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    }),
  );
  return core;
}

/**
 * Room before a module read for patching: what its patched head may add (a maximum, longer section
 * sizes), then V8's hints section (a byte per function, see interpreter-loops.ts).
 */
const PATCH_ROOM = 64 + 64 * 1024;

/** A module file, read and patched in place (see patchModuleMemoryInPlace and hintInterpreterLoopsInPlace). */
async function readPatchedModule(path: string, patch: MemoryPatch): Promise<Uint8Array> {
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const buffer = new Uint8Array(PATCH_ROOM + size);
    for (let read = 0; read < size; ) {
      const { bytesRead } = await file.read(buffer, PATCH_ROOM + read, size - read, read);
      if (bytesRead === 0) throw new Error(`${path}: shorter than its size`);
      read += bytesRead;
    }
    const patched = patchModuleMemoryInPlace(buffer, PATCH_ROOM, patch);
    // A view of `buffer` (the room sufficed), or a copy with no room before it.
    return patched.buffer === buffer.buffer ? hintInterpreterLoopsInPlace(buffer, patched.byteOffset) : hintInterpreterLoopsInPlace(patched, 0);
  } finally {
    await file.close();
  }
}

/** Checks a component's wasi:nn imports before running it: a clear message beats a link error. */
export function checkNnVersion(imports: string[]): void {
  for (const name of imports) {
    const match = /^wasi:nn\/[\w-]+@(.+)$/.exec(name);
    if (match && match[1] !== WASI_NN_VERSION) {
      throw new Error(`this guest imports ${name}, but wacs serves wasi:nn@${WASI_NN_VERSION} (rebuild the guest against that version)`);
    }
  }
}

/**
 * Compiles a core module for the module worker: its memory capped, and its imports and exports
 * checked, so a module wacs cannot run fails here with a clear message instead of a link error.
 */
async function prepareModule(wasm: Uint8Array, maxMemoryBytes: number | undefined): Promise<WebAssembly.Module> {
  const module = await WebAssembly.compile((maxMemoryBytes ? capModuleMemory(wasm, maxMemoryBytes) : wasm) as Uint8Array<ArrayBuffer>);
  checkModuleImports(WebAssembly.Module.imports(module));
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new Error('it exports no _start function (it is not a WASI command; reactor modules are not supported)');
  }
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) throw new Error('it exports no memory');
  return module;
}

/**
 * A preview1 guest does its stdio on the process's own fds 0-2 (node:wasi). Node opening them
 * makes pipes, sockets and ttys non-blocking, so the worker's reads and writes wait in an
 * interruptible retry loop (see module-worker.ts) and --timeout can end a guest stuck on stdin or
 * on a stalled reader; left blocking, such a guest would sit in the kernel, out of reach.
 */
function ownStdio(): void {
  void process.stdin;
  void process.stdout;
  void process.stderr;
}

export async function runGuest(wasm: Uint8Array, host: NnHost, options: RunOptions = {}): Promise<RunResult> {
  if (isComponentArtifact(wasm)) {
    let prepared;
    try {
      const artifact = unpackArtifact(wasm, options.programName ?? 'the artifact');
      prepared = await prepareCompiled(artifact.source, artifact, options.cacheDir ?? defaultCacheDir());
      checkNnVersion(prepared.imports);
    } catch (e) {
      return { exitCode: EXIT.startFailure, error: `cannot run this compiled component: ${(e as Error).message}` };
    }
    return runComponent(prepared, host, options);
  }
  let kind;
  try {
    kind = wasmKind(wasm);
  } catch (e) {
    return { exitCode: EXIT.startFailure, error: (e as Error).message };
  }
  if (kind === 'module') {
    let module;
    try {
      module = await prepareModule(wasm, options.maxMemoryBytes);
      traceMark('module-compiled');
    } catch (e) {
      return { exitCode: EXIT.startFailure, error: `cannot run this module: ${(e as Error).message}` };
    }
    ownStdio();
    return runWorker('module-worker.js', { module }, host, options);
  }
  let prepared;
  try {
    const artifactPath = options.artifactPath;
    prepared = await prepareComponent(wasm, options.cacheDir ?? defaultCacheDir(), artifactPath ? (key) => artifactFor(artifactPath, key, wasm, host.log) : undefined);
    checkNnVersion(prepared.imports);
  } catch (e) {
    return { exitCode: EXIT.startFailure, error: `cannot run this component: ${(e as Error).message}` };
  }
  return runComponent(prepared, host, options);
}

function runComponent(prepared: PreparedComponent, host: NnHost, options: RunOptions): Promise<RunResult> {
  traceMark(`component-from-${prepared.from}`);
  // Compile here while the worker starts; compiled modules are handed over without a copy.
  const modules = compileCoreModules(prepared.dir, options.maxMemoryBytes, { shared: true }).then((compiled) => {
    traceMark('core-modules-compiled');
    return { modules: compiled.modules };
  });
  return runWorker('component-worker.js', { dir: prepared.dir }, host, options, modules);
}

/** Runs a guest's worker with the sandbox, the wasi:nn session, and the time and memory limits. */
async function runWorker(
  file: 'component-worker.js' | 'module-worker.js',
  guest: Pick<WorkerSetup, 'dir'> | Pick<ModuleWorkerSetup, 'module'>,
  host: NnHost,
  options: RunOptions,
  /** Sent to the worker once ready (it may still be starting), or `fatal` if it failed. */
  late?: Promise<object>,
): Promise<RunResult> {
  const preopens: Record<string, string> = {};
  const readonlyDirs: string[] = [];
  for (const { host: hostDir, guest, readonly } of options.dirs ?? []) {
    preopens[guest] = resolvePath(hostDir);
    if (readonly) readonlyDirs.push(guest);
    // Checked here, or the WASI layer fails with a bare UVWASI_ENOENT.
    if (!isDirectory(preopens[guest])) return { exitCode: EXIT.startFailure, error: `--dir: no such directory: ${hostDir}` };
  }
  const { port1, port2 } = new MessageChannel();
  const bridge = createBridgeMemory();
  const engineGate = createEngineGate();
  const setup: WorkerSetup | ModuleWorkerSetup = {
    ...guest,
    args: [options.programName ?? 'guest.wasm', ...(options.args ?? [])],
    env: options.env ?? {},
    preopens,
    readonlyDirs,
    maxMemoryBytes: options.maxMemoryBytes,
    borrowInputs: options.borrowInputs,
    bridge,
    port: port2,
    engineGate,
  };
  const session = host.session();
  const stopServing = serveSession(port1, bridge, session);

  const worker = new Worker(workerUrl(file), {
    workerData: setup,
    transferList: [port2],
    // The JS heap of the WASI layer is bounded too; linear memory is capped in the wasm itself.
    resourceLimits: options.maxMemoryBytes ? { maxOldGenerationSizeMb: Math.max(64, Math.ceil(options.maxMemoryBytes / 2 ** 20)) } : undefined,
    stdout: false,
    stderr: false,
  });
  traceMark('worker-spawned');
  // While the worker starts, the engines of the registered models start too, here and in the worker.
  void host.startEngines();
  sendPreparations(host, worker);

  late?.then(
    (message) => worker.postMessage(message),
    (e: Error) => worker.postMessage({ fatal: e.message }),
  );
  let error: string | undefined;
  let returned: ((exitCode: number) => void) | undefined;
  worker.on('message', (m: { fatal?: string; trap?: string; returned?: number }) => {
    if (m.fatal ?? m.trap) error = m.fatal ?? m.trap;
    if (m.returned !== undefined) returned?.(m.returned);
  });
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const exitCode = await new Promise<number>((resolve) => {
    // The guest is done once its entry point returns: the run ends then, and the thread is torn
    // down in the background (a worker takes 100 ms or more to exit, its WASI shim's thread too).
    returned = (code) => {
      resolve(code);
      void worker.terminate();
    };
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        void shutEngineGate(engineGate).then(() => worker.terminate());
        // terminate() acts when the worker runs JavaScript; one blocked in native code never exits,
        // and the run must end anyway (the CLI then exits; its watcher ends a process that cannot).
        setTimeout(() => resolve(EXIT.timeout), RELEASE_GRACE_MS).unref();
      }, options.timeoutMs);
    }
    worker.on('error', (e) => {
      error = /ERR_WORKER_OUT_OF_MEMORY/.test((e as { code?: string }).code ?? '')
        ? `guest ran out of memory (--max-memory ${options.maxMemoryBytes! / 2 ** 20} MiB)`
        : `guest failed: ${e.message}`;
    });
    worker.on('exit', resolve);
  });
  clearTimeout(timer);
  traceMark('guest-exited');
  // Let a last message from the worker (a trap report) arrive before the port closes.
  await new Promise((r) => setImmediate(r));
  stopServing();
  port1.close();
  // A backend still busy with the guest's last call (or whose dispose never settles) must not hold
  // the guest's result: release in the background, wait only a moment for it.
  await settleWithin(session.close(), RELEASE_GRACE_MS);
  if (timedOut) return { exitCode: EXIT.timeout, error: `guest killed: it ran past the --timeout of ${options.timeoutMs! / 1000} s` };
  return error ? { exitCode: exitCode || EXIT.trap, error } : { exitCode };
}
