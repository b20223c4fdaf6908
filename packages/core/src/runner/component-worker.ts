/**
 * The worker thread a component guest runs in. It configures preview2-shim's WASI for the
 * sandbox (no env, no files, no network unless granted), wires wasi:nn to the sync bridge, and
 * runs the guest's `wasi:cli/run`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { componentNnImports } from '../abi/component.js';
import { gatedOpener } from '../abi/engine-gate.js';
import { requireInThread } from '../abi/require-in-thread.js';
import { BridgeClient } from '../bridge/channel.js';
import type { WorkerSetup } from './run.js';
import { reportGuestFailure } from './guest-failure.js';
import { writeAllSync } from './stdio.js';
import { traceMark } from '../trace.js';
import { twinsPrepared } from './twin-preparation.js';
import { configureWasiShims, deniedOutgoingHandler, wasiImport } from './wasi-shims.js';

const setup = workerData as WorkerSetup;

/** The host thread compiles the guest's core modules while this worker starts, then sends them. */
const compiledModules = new Promise<Record<string, WebAssembly.Module>>((resolve, reject) => {
  const listener = (m: { modules?: Record<string, WebAssembly.Module>; fatal?: string }) => {
    if (!m.modules && m.fatal === undefined) return;
    parentPort!.off('message', listener);
    if (m.modules) resolve(m.modules);
    else reject(new Error(m.fatal));
  };
  parentPort!.on('message', listener);
});
const prepared = twinsPrepared(parentPort!);

async function main(): Promise<void> {
  traceMark('worker-started');
  configureWasiShims(setup);

  const bridge = new BridgeClient(setup.port, setup.bridge);
  const overrides: Record<string, unknown> = {
    ...componentNnImports(bridge, { openInThread: gatedOpener(requireInThread, setup.engineGate), log: (line) => writeAllSync(2, `${line}\n`) }),
    'wasi:http/outgoing-handler': deniedOutgoingHandler,
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
  traceMark('bindings-imported');
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
  traceMark('guest-instantiated');
  const run = (guest['wasi:cli/run@0.2.3'] ?? guest.run ?? Object.values(guest).find((e) => typeof e?.run === 'function'))?.run;
  if (typeof run !== 'function') {
    parentPort?.postMessage({ fatal: 'this component exports no wasi:cli/run (it is not a WASI command)' });
    process.exitCode = 125;
    return;
  }
  await prepared;
  traceMark('twins-prepared');
  try {
    run();
    traceMark('guest-returned');
  } catch (e) {
    process.exitCode = reportGuestFailure(e, memories, setup.maxMemoryBytes);
  }
  // The host need not wait for this thread to exit (see runWorker).
  parentPort?.postMessage({ returned: Number(process.exitCode ?? 0) });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ fatal: `could not start the guest: ${e instanceof Error ? e.message : String(e)}` });
  process.exitCode = 125;
});
