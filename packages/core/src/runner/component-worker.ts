/**
 * The worker thread a component guest runs in. It configures preview2-shim's WASI for the
 * sandbox (no env, no files, no network unless granted), wires wasi:nn to the sync bridge, and
 * runs the guest's `wasi:cli/run`.
 */
import * as cliShim from '@bytecodealliance/preview2-shim/cli';
import * as clocks from '@bytecodealliance/preview2-shim/clocks';
import * as filesystemShim from '@bytecodealliance/preview2-shim/filesystem';
import * as http from '@bytecodealliance/preview2-shim/http';
import * as io from '@bytecodealliance/preview2-shim/io';
import * as random from '@bytecodealliance/preview2-shim/random';
import * as socketsShim from '@bytecodealliance/preview2-shim/sockets';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { componentNnImports } from '../abi/component.js';
import { requireInThread } from '../abi/require-in-thread.js';
import { BridgeClient } from '../bridge.js';
import type { WorkerSetup } from './run.js';
import { reportGuestFailure } from './guest-failure.js';
import { confineFilesystem } from './sandbox.js';
import { writeAllSync } from './stdio.js';

const setup = workerData as WorkerSetup;

/** The host thread compiles the guest's core modules while this worker starts, then sends them. */
const compiledModules = new Promise<Record<string, WebAssembly.Module>>((resolve, reject) => {
  parentPort!.once('message', (m: { modules?: Record<string, WebAssembly.Module>; fatal?: string }) =>
    m.modules ? resolve(m.modules) : reject(new Error(m.fatal)),
  );
});

// preview2-shim's configuration hooks (not in its published types).
const cli = cliShim as typeof cliShim & {
  _setArgs(args: string[]): void;
  _setEnv(env: Record<string, string>): void;
  _setCwd(cwd: string): void;
};
const filesystem = filesystemShim as typeof filesystemShim & {
  _setPreopens(preopens: Record<string, string>): void;
  _getPreopens(): Array<[object, string]>;
  types: { Descriptor: { prototype: object } };
};
const sockets = socketsShim as typeof socketsShim & { _denyTcp(): void; _denyUdp(): void; _denyDnsLookup(): void };

const shims: Record<string, Record<string, unknown>> = { cli, clocks, filesystem, http, io, random, sockets };

/** jco's default mapping, `wasi:<pkg>/<iface>` → preview2-shim `<pkg>` export `<iface>` in camelCase. */
function wasiImport(name: string): unknown {
  const match = /^wasi:([\w-]+)\/([\w-]+)$/.exec(name);
  if (!match) return undefined;
  return shims[match[1]!]?.[match[2]!.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())];
}

/**
 * preview2-shim writes guest output with this worker's process.stdout/stderr, which only flush when
 * the worker's event loop turns: never, while the guest runs. Write straight to the descriptors, so
 * a REPL's prompt shows before it waits for input and output keeps its order with the host's.
 */
function writeThrough(stream: NodeJS.WriteStream, fd: number): void {
  stream.write = ((chunk: string | Uint8Array) => {
    writeAllSync(fd, chunk);
    return true;
  }) as typeof stream.write;
}

async function main(): Promise<void> {
  writeThrough(process.stdout, 1);
  writeThrough(process.stderr, 2);
  cli._setArgs(setup.args);
  cli._setEnv(setup.env);
  cli._setCwd('/');
  // Replaces the shim's default preopen of the whole host filesystem with the granted dirs only.
  filesystem._setPreopens(setup.preopens);
  confineFilesystem(filesystem.types.Descriptor, filesystem._getPreopens(), setup.preopens);
  sockets._denyTcp();
  sockets._denyUdp();
  sockets._denyDnsLookup();

  const bridge = new BridgeClient(setup.port, setup.bridge);
  const overrides: Record<string, unknown> = {
    ...componentNnImports(bridge, { openInThread: requireInThread, log: (line) => writeAllSync(2, `${line}\n`) }),
    'wasi:http/outgoing-handler': {
      handle() {
        throw { payload: { tag: 'HTTP-request-denied' } };
      },
    },
  };
  const imports = new Proxy(overrides, {
    get: (target, name: string) => target[name] ?? wasiImport(name),
  });

  const memories: WebAssembly.Memory[] = [];
  const { instantiate } = (await import(pathToFileURL(join(setup.dir, 'guest.js')).href)) as {
    instantiate: (
      getCoreModule: (path: string) => Promise<WebAssembly.Module>,
      imports: unknown,
      instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
    ) => Promise<Record<string, { run?: () => void }>>;
  };
  const modules = await compiledModules;
  const getCoreModule = async (path: string) => {
    const module = modules[path];
    if (!module) throw new Error(`the transpiled guest has no core module ${path}`);
    return module;
  };
  const instantiateCore = async (module: WebAssembly.Module, coreImports: WebAssembly.Imports) => {
    const instance = await WebAssembly.instantiate(module, coreImports);
    for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.push(value);
    return instance;
  };

  const guest = await instantiate(getCoreModule, imports, instantiateCore);
  const run = (guest['wasi:cli/run@0.2.3'] ?? guest.run ?? Object.values(guest).find((e) => typeof e?.run === 'function'))?.run;
  if (typeof run !== 'function') {
    parentPort?.postMessage({ fatal: 'this component exports no wasi:cli/run (it is not a WASI command)' });
    process.exitCode = 125;
    return;
  }
  try {
    run();
  } catch (e) {
    process.exitCode = reportGuestFailure(e, memories, setup.maxMemoryBytes);
  }
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ fatal: `could not start the guest: ${e instanceof Error ? e.message : String(e)}` });
  process.exitCode = 125;
});
