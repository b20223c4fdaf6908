/**
 * The dedicated Web Worker a component guest runs in. The guest gets WASI from preview2-shim's
 * browser implementation, configured from the page's options only: args, env, an in-memory file
 * system, stdout and stderr posted to the page; sockets and outgoing HTTP refused. wasi:nn comes
 * through the sync bridge to the page, or (`in-worker`, with JSPI) from backends this worker loads
 * and a host of its own, whose answers the guest awaits suspended. A worker has no DOM, and the
 * guest reaches nothing of the worker but its imports.
 */
import * as cliShim from '@bytecodealliance/preview2-shim/cli';
import * as clocks from '@bytecodealliance/preview2-shim/clocks';
import * as filesystemShim from '@bytecodealliance/preview2-shim/filesystem';
import * as http from '@bytecodealliance/preview2-shim/http';
import * as io from '@bytecodealliance/preview2-shim/io';
import * as random from '@bytecodealliance/preview2-shim/random';
import { componentNnImports, type ModelSpec, type NnCaller } from '@wacs/core/browser';
import { BridgeClient } from './bridge.js';
import { sockets } from './deny-network.js';
import { startGuestSession } from './guest-session.js';
import type { BackendModule, FromWorker, WorkerSetup } from './messages.js';

type OutputHandler = { write(bytes: Uint8Array): void; blockingFlush(): void };
type InputHandler = { blockingRead(length: bigint): Uint8Array; subscribe(): void };

// preview2-shim's configuration hooks (not in its published types).
const cli = cliShim as typeof cliShim & {
  _setArgs(args: string[]): void;
  _setEnv(env: Record<string, string>): void;
  _setCwd(cwd: string): void;
  _setStdin(handler: InputHandler): void;
  _setStdout(handler: OutputHandler): void;
  _setStderr(handler: OutputHandler): void;
};
const filesystem = filesystemShim as typeof filesystemShim & { _setPreopens(preopens: Record<string, unknown>): void };

/**
 * preview2-shim 0.17.9's browser `Descriptor.read` slices its file with the u64 arguments as given
 * (BigInt) and throws a TypeError; it gets them as numbers here (files in a page are far below 2^53).
 */
type Read = (this: unknown, length: number | bigint, offset: number | bigint) => [Uint8Array, boolean];
const descriptor = (filesystem as unknown as { types: { Descriptor: { prototype: { read: Read } } } }).types.Descriptor.prototype;
const readWithNumbers = descriptor.read;
descriptor.read = function (length, offset) {
  return readWithNumbers.call(this, Number(length), Number(offset));
};

const shims: Record<string, Record<string, unknown>> = { cli, clocks, filesystem, http, io, random, sockets };

/** jco's default mapping, `wasi:<pkg>/<iface>` → the shim's `<pkg>` export `<iface>` in camelCase. */
function wasiImport(name: string): unknown {
  const match = /^wasi:([\w-]+)\/([\w-]+)$/.exec(name);
  if (!match) return undefined;
  return shims[match[1]!]?.[match[2]!.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())];
}

type FileTree = { dir: Record<string, FileTree> } | { source: Uint8Array | string };

/** `{ 'data/a.txt': … }` → preview2-shim's nested file data. */
function fileTree(files: Record<string, Uint8Array | string>): FileTree {
  const root: { dir: Record<string, FileTree> } = { dir: {} };
  for (const [path, source] of Object.entries(files)) {
    const parts = path.split('/').filter((p) => p && p !== '.');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      const next = (dir.dir[part] ??= { dir: {} });
      if (!('dir' in next)) throw new Error(`files: ${part} in ${path} is a file, not a folder`);
      dir = next;
    }
    dir.dir[parts.at(-1)!] = { source };
  }
  return root;
}

/**
 * Standard input from bytes the page gave: read in order, then `closed` (end of file), the
 * stream error preview2-shim's Node streams give (its browser stdin reads nothing).
 */
function stdinFrom(bytes: Uint8Array): InputHandler {
  let offset = 0;
  return {
    blockingRead(length) {
      if (offset >= bytes.byteLength) throw { tag: 'closed' };
      const chunk = bytes.slice(offset, offset + Number(length));
      offset += chunk.byteLength;
      return chunk;
    },
    subscribe() {},
  };
}

const post = (message: FromWorker) => (self as unknown as Worker).postMessage(message);

/** Ways out of the worker the guest never needs: gone once the guest's modules are loaded. */
function closeWaysOut(): void {
  for (const name of ['fetch', 'XMLHttpRequest', 'WebSocket', 'WebTransport', 'EventSource', 'importScripts', 'indexedDB', 'caches', 'BroadcastChannel']) {
    try {
      Object.defineProperty(globalThis, name, { value: undefined, configurable: false, writable: false });
    } catch {
      // not defined in this browser
    }
  }
}

const encoder = new TextEncoder();
const log = (line: string) => post({ type: 'stderr', bytes: encoder.encode(`${line}\n`) });

/** A host in this worker, on the backends the page named: the component front end awaits its operations. */
async function hostInWorker(modules: BackendModule[], models: Record<string, ModelSpec>): Promise<{ caller: NnCaller; close(): Promise<void> }> {
  const session = await startGuestSession(modules, models, {
    stdout: (text) => post({ type: 'stdout', bytes: encoder.encode(text) }),
    onLoad: (load) => post({ type: 'load', load }),
    log,
  });
  post({ type: 'backends', backends: session.reports });
  // The operations are the bridge's handler, whose answers are untyped: each is what its op returns.
  return { caller: { call: (op, args) => session.operations(op, args) as Promise<never> }, close: session.close };
}

async function start(setup: WorkerSetup): Promise<number> {
  const output = (stream: 'stdout' | 'stderr'): OutputHandler => ({
    write: (bytes) => post({ type: stream, bytes: bytes.slice() }),
    blockingFlush: () => {},
  });
  cli._setStdout(output('stdout'));
  cli._setStderr(output('stderr'));
  cli._setStdin(stdinFrom(setup.stdin));
  cli._setArgs(setup.args);
  cli._setEnv(setup.env);
  cli._setCwd('/');
  filesystem._setPreopens({ '/': fileTree(setup.files) });

  const inWorker = setup.nn.kind === 'in-worker' ? await hostInWorker(setup.nn.backends, setup.nn.models) : undefined;
  const nn = setup.nn.kind === 'bridge' ? componentNnImports(new BridgeClient(setup.nn.memory), { log }) : componentNnImports(inWorker!.caller, { log });
  const overrides: Record<string, unknown> = {
    ...nn,
    'wasi:http/outgoing-handler': {
      handle() {
        throw { payload: { tag: 'HTTP-request-denied' } };
      },
    },
  };
  const imports = new Proxy(overrides, { get: (target, name: string) => target[name] ?? wasiImport(name) });

  const { instantiate } = (await import(/* @vite-ignore */ setup.guestUrl)) as {
    instantiate: (
      getCoreModule: (path: string) => Promise<WebAssembly.Module>,
      imports: unknown,
    ) => Promise<Record<string, { run?: () => void | Promise<void> }>>;
  };
  const getCoreModule = (path: string) => WebAssembly.compileStreaming(fetch(new URL(path, setup.guestUrl)));
  const guest = await instantiate(getCoreModule, imports);
  // The engines of a host in this worker fetch their files and models; the guest reaches none of
  // this either way, only its imports.
  if (!inWorker) closeWaysOut();
  const run = (guest['wasi:cli/run@0.2.3'] ?? guest.run ?? Object.values(guest).find((e) => typeof e?.run === 'function'))?.run;
  if (typeof run !== 'function') throw new Error('this component exports no wasi:cli/run (it is not a WASI command)');
  try {
    // A JSPI transpilation's run returns a promise; the plain one returns when the guest ends.
    await run();
    return 0;
  } catch (e) {
    const exit = e as { exitError?: boolean; code?: number };
    if (exit?.exitError) return exit.code ?? 1;
    post({ type: 'stderr', bytes: encoder.encode(`guest failed: ${e instanceof Error ? e.message : String(e)}\n`) });
    return e instanceof WebAssembly.RuntimeError ? 134 : 1;
  } finally {
    await inWorker?.close();
  }
}

self.onmessage = (event: MessageEvent<WorkerSetup>) => {
  start(event.data).then(
    (exitCode) => post({ type: 'exit', exitCode }),
    (e: unknown) => post({ type: 'fatal', message: `could not start the guest: ${e instanceof Error ? e.message : String(e)}` }),
  );
};
