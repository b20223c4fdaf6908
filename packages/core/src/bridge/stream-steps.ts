/**
 * Streaming across the bridge, host side (preview1's compute_single, the components' wacs:stream
 * step, under Node and in a page): the `streamSteps` operation batches a stream's steps (they
 * travel packed, see stream-wire.ts). Browser-safe.
 */
import type { NnSession } from '../host.js';
import type { NamedTensor } from '../tensor.js';

/**
 * How long the host keeps collecting steps that follow the first before it replies. Every round
 * trip wakes two threads; for a fast model that costs more than the tokens (a 2-core machine
 * streamed stories260K at 0.6 of direct speed with one reply per token). 2 ms is well under what
 * a reader can see, and generation goes on meanwhile.
 */
const STREAM_COALESCE_MS = 2;

/**
 * The host side of compute_single. Backends may generate ahead of the guest (backend-llama does);
 * each round trip takes the step the guest asked for plus every further step already made, so a
 * guest that falls behind (a busy machine, a slow stdout) catches up without a round trip per
 * token. One more step is always asked for before replying: it is in flight while the guest works.
 */
export class StreamSteps {
  /** Per context, the step asked for but not yet sent. */
  private readonly ahead = new Map<number, Promise<NamedTensor[] | null>>();

  constructor(private readonly session: NnSession) {}

  /** One step or more, the last `null` at the end of the sequence. Waits only for the first. */
  async next(context: number, inputs: NamedTensor[], max: number): Promise<Array<NamedTensor[] | null>> {
    const steps: Array<NamedTensor[] | null> = [];
    let next = this.ahead.get(context) ?? this.session.streamNext(context, inputs);
    this.ahead.delete(context);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let late: Promise<'late'> | undefined;
    try {
      for (;;) {
        let step: NamedTensor[] | null;
        try {
          step = await next;
        } catch (e) {
          if (steps.length === 0) throw e;
          this.ahead.set(context, next); // the failure reaches the guest at the step it belongs to
          return steps;
        }
        steps.push(step);
        if (step === null) return steps;
        // After the first step, more are collected until STREAM_COALESCE_MS have passed.
        late ??= new Promise((resolve) => (timer = setTimeout(resolve, STREAM_COALESCE_MS, 'late')));
        next = this.session.streamNext(context, []);
        if (steps.length >= max || (await Promise.race([next.then(() => 'ready', () => 'ready'), late])) === 'late') {
          this.ahead.set(context, next);
          return steps;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets the step in flight finish before the stream ends or its context goes. */
  async settle(context: number): Promise<void> {
    const pending = this.ahead.get(context);
    this.ahead.delete(context);
    await pending?.catch(() => undefined);
  }
}
