/**
 * The worker thread a preview1 core-module guest runs in: WASI preview1 from node:wasi with the
 * same sandbox as components (the args given, env only if granted, preopens only for --dir),
 * `wasi_ephemeral_nn` wired to the sync bridge, and the guest's `_start` run to its exit code.
 * The module arrives compiled, with its memory already capped to --max-memory.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { preview1NnImports, WITX_MODULE } from '../abi/preview1.js';
import { BridgeClient } from '../bridge.js';
import { reportGuestFailure } from './guest-failure.js';
import type { ModuleWorkerSetup } from './run.js';

const setup = workerData as ModuleWorkerSetup;

/** node:wasi warns that it is experimental on load; that is for developers, not for a guest's stderr. */
function silenceWasiWarning(): void {
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'ExperimentalWarning' && /WASI/.test(warning.message)) return;
    for (const listener of listeners) listener(warning);
  });
}

async function main(): Promise<void> {
  silenceWasiWarning();
  const { WASI } = await import('node:wasi');
  const wasi = new WASI({
    version: 'preview1',
    args: setup.args,
    env: setup.env,
    preopens: setup.preopens,
    returnOnExit: true,
  });

  let memory: WebAssembly.Memory | undefined;
  // Host messages go straight to fd 2, like the guest's own stderr, so the two stay in order.
  const nn = preview1NnImports(new BridgeClient(setup.port, setup.signal), () => memory, { log: (line) => writeSync(2, `${line}\n`) });
  const instance = await WebAssembly.instantiate(setup.module, { ...wasi.getImportObject(), [WITX_MODULE]: nn });
  if (instance.exports.memory instanceof WebAssembly.Memory) memory = instance.exports.memory;
  try {
    process.exitCode = wasi.start(instance);
  } catch (e) {
    process.exitCode = reportGuestFailure(e, memory ? [memory] : [], setup.maxMemoryBytes);
  }
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ fatal: `could not start the guest: ${e instanceof Error ? e.message : String(e)}` });
  process.exitCode = 125;
});
