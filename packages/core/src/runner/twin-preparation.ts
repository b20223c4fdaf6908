/**
 * Twins whose engine starts only asynchronously (see `Backend.inThreadPreparation`): the host tells
 * a guest's worker what to prepare as it starts, and the worker does it before the guest runs,
 * while its event loop still turns (once the guest runs, it blocks that loop until it returns).
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { requireInThreadModule } from '../abi/require-in-thread.js';
import type { InThreadSpec, PrepareInThread } from '../backend.js';
import type { NnHostBase } from '../host-base.js';

interface PreparationMessage {
  prepareInThread: InThreadSpec[];
}

/** Host side: sends the list once it is known, an empty one too (the worker waits for it). */
export function sendPreparations(host: Pick<NnHostBase, 'inThreadPreparations'>, worker: Worker): void {
  const send = (specs: InThreadSpec[]) => worker.postMessage({ prepareInThread: specs } satisfies PreparationMessage);
  host.inThreadPreparations().then(send, () => send([]));
}

/** The guest waits no longer than this for its worker's preparations (an engine's start that hangs must not hold it). */
export const PREPARATION_LIMIT_MS = 10_000;

/**
 * Worker side: settles once every preparation the host asked for has ended, or after `limitMs`.
 * A failed or unfinished one is not reported here: its twin then does not open, and the graph
 * computes through the host.
 */
export function twinsPrepared(port: MessagePort, limitMs = PREPARATION_LIMIT_MS): Promise<void> {
  return new Promise((resolve) => {
    const listener = (message: Partial<PreparationMessage>) => {
      if (!message.prepareInThread) return;
      port.off('message', listener);
      const timer = setTimeout(resolve, limitMs);
      void prepareAll(message.prepareInThread).then(() => {
        clearTimeout(timer);
        resolve();
      });
    };
    port.on('message', listener);
  });
}

async function prepareAll(specs: InThreadSpec[]): Promise<void> {
  await Promise.allSettled(
    specs.map(async ({ module, init }) => {
      const { prepareInThread } = requireInThreadModule(module) as { prepareInThread?: PrepareInThread };
      if (typeof prepareInThread === 'function') await prepareInThread(init);
    }),
  );
}
