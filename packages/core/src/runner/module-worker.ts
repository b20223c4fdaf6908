/**
 * The worker thread a preview1 core-module guest runs in: WASI preview1 from node:wasi with the
 * same sandbox as components (the args given, env only if granted, preopens only for --dir),
 * `wasi_ephemeral_nn` wired to the sync bridge, and the guest's `_start` run to its exit code.
 * The module arrives compiled, with its memory already capped to --max-memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { gatedOpener } from '../abi/engine-gate.js';
import { requireInThread } from '../abi/require-in-thread.js';
import { preview1NnImports } from '../abi/preview1/imports.js';
import { WITX_MODULE } from '../abi/preview1/witx.js';
import { BridgeClient } from '../bridge/channel.js';
import { reportGuestFailure } from './guest-failure.js';
import { confinePreview1 } from './preview1-sandbox.js';
import { writeAllSync } from './stdio.js';
import { traceMark } from '../trace.js';
import type { ModuleWorkerSetup } from './run.js';
import { twinsPrepared } from './twin-preparation.js';

const setup = workerData as ModuleWorkerSetup;
const prepared = twinsPrepared(parentPort!);

/** node:wasi warns that it is experimental on load; that is for developers, not for a guest's stderr. */
function silenceWasiWarning(): void {
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'ExperimentalWarning' && /WASI/.test(warning.message)) return;
    for (const listener of listeners) listener(warning);
  });
}

type FdCall = (fd: number, iovs: number, iovsLen: number, done: number) => number;

const WASI_ERRNO_AGAIN = 6;
const MAX_BACKOFF_MS = 5;

/**
 * Blocking stdio for the guest. The host process's stdin, stdout and stderr are non-blocking once
 * Node has opened them (pipes and sockets), where a preview1 read or write fails with EAGAIN as
 * soon as the pipe is empty or full; so those calls wait and retry instead, in an Atomics.wait
 * that --timeout can still interrupt.
 */
function blockingStdio(call: FdCall, fds: number[]): FdCall {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return (fd, iovs, iovsLen, done) => {
    let backoff = 0.05;
    for (;;) {
      const errno = call(fd, iovs, iovsLen, done);
      if (errno !== WASI_ERRNO_AGAIN || !fds.includes(fd)) return errno;
      Atomics.wait(pause, 0, 0, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  };
}

async function main(): Promise<void> {
  traceMark('worker-started');
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
  const preview1 = confinePreview1(
    {
      ...(wasi.wasiImport as Record<string, (...args: number[]) => number>),
      fd_read: blockingStdio(wasi.wasiImport.fd_read as FdCall, [0]),
      fd_write: blockingStdio(wasi.wasiImport.fd_write as FdCall, [1, 2]),
    },
    () => memory,
    setup.preopens,
    setup.readonlyDirs,
  );

  // Host messages go straight to fd 2, like the guest's own stderr, so the two stay in order.
  const nn = preview1NnImports(new BridgeClient(setup.port, setup.bridge), () => memory, {
    log: (line) => writeAllSync(2, `${line}\n`),
    maxHeldBytes: setup.maxMemoryBytes,
    openInThread: gatedOpener(requireInThread, setup.engineGate),
    borrowInputs: setup.borrowInputs,
  });
  const instance = await WebAssembly.instantiate(setup.module, { wasi_snapshot_preview1: preview1, [WITX_MODULE]: nn });
  if (instance.exports.memory instanceof WebAssembly.Memory) memory = instance.exports.memory;
  traceMark('guest-instantiated');
  await prepared;
  traceMark('twins-prepared');
  try {
    process.exitCode = wasi.start(instance);
    traceMark('guest-returned');
  } catch (e) {
    process.exitCode = reportGuestFailure(e, memory ? [memory] : [], setup.maxMemoryBytes);
  }
  // The host need not wait for this thread to exit (see runWorker).
  parentPort?.postMessage({ returned: Number(process.exitCode ?? 0) });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ fatal: `could not start the guest: ${e instanceof Error ? e.message : String(e)}` });
  process.exitCode = 125;
});
