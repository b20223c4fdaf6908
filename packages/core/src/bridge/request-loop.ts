/**
 * The serving side's wake-up loop, shared by Node's bridge (channel.ts) and the page's
 * (@wacs/browser): the guest's thread stores each request's sequence number in one slot of a
 * shared control array and blocks; this loop sleeps on that slot with `Atomics.waitAsync`, so the
 * serving thread stays free for the engines' asynchronous work, and answers one request at a time
 * until the closed slot is set. Browser-safe: no `node:` imports.
 */
export interface ControlSlots {
  /** Slot the guest's thread writes each request's sequence number to. */
  request: number;
  /** Slot set by the serving side to stop. */
  closed: number;
}

export async function answerEachRequest(control: Int32Array, slots: ControlSlots, answer: (seq: number) => Promise<void>): Promise<void> {
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
  }
}
