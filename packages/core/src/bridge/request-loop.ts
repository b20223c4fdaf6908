/**
 * The serving side's wake-up loop, shared by Node's bridge (channel.ts) and the page's
 * (@wacs/browser): the guest's thread stores each request's sequence number in one slot of a
 * shared control array and blocks; this loop sleeps on that slot with `Atomics.waitAsync`, so the
 * serving thread stays free for the engines' asynchronous work, and answers one request at a time
 * until the closed slot is set. Browser-safe: no `node:` imports.
 */
import type { SpinWait } from './spin-wait.js';

export interface ControlSlots {
  /** Slot the guest's thread writes each request's sequence number to. */
  request: number;
  /** Slot set by the serving side to stop. */
  closed: number;
}

/**
 * `spin`: after each answer, checks for the next request in a loop for a moment before going back
 * to sleep (a guest's next call often follows within µs; see SpinWait). It blocks this thread while
 * it spins, so only a host with one guest to serve should pass it.
 */
export async function answerEachRequest(
  control: Int32Array,
  slots: ControlSlots,
  answer: (seq: number) => Promise<void>,
  spin?: Pick<SpinWait, 'spin'>,
): Promise<void> {
  let seen = 0;
  while (!Atomics.load(control, slots.closed)) {
    const seq = Atomics.load(control, slots.request);
    if (seq === seen) {
      const wait = Atomics.waitAsync(control, slots.request, seen);
      if (wait.async) await wait.value;
      continue;
    }
    seen = seq;
    await answer(seq);
    spin?.spin(() => Atomics.load(control, slots.request) === seen);
  }
}
