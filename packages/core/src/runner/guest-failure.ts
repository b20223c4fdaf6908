import { parentPort } from 'node:worker_threads';

/**
 * Turns what a guest threw into an exit code and a message for the person running it: a trap
 * (with a hint when memory hit --max-memory) or a guest that returned an error from `run`.
 */
export function reportGuestFailure(error: unknown, memories: WebAssembly.Memory[], maxMemoryBytes: number | undefined): number {
  const payload = (error as { payload?: unknown }).payload;
  if (error instanceof Error && error.constructor.name === 'ComponentError' && payload === undefined) {
    return 1; // run() returned err: the guest has said what went wrong itself
  }
  // A grow that would pass the cap fails inside the guest, which then traps; memory close to the
  // cap when that happens is the sign (the last grow may have asked for more than was left).
  const atLimit = maxMemoryBytes !== undefined && memories.some((m) => m.buffer.byteLength > maxMemoryBytes * 0.9);
  const message = error instanceof Error ? error.message : String(error);
  parentPort?.postMessage({
    trap: atLimit ? `guest ran out of memory: its memory reached the --max-memory limit of ${maxMemoryBytes! / 2 ** 20} MiB, then it trapped (${message})` : `guest trapped: ${message}`,
  });
  return atLimit ? 137 : 134;
}
