/**
 * Streaming across the bridge, host side (preview1's compute_single, the components' wacs:stream
 * step, under Node and in a page): the `streamSteps` operation batches a stream's steps (they
 * travel packed, see stream-wire.ts). Browser-safe.
 */
import type { NnSession } from '../host.js';
import type { NamedTensor } from '../tensor.js';

/**
 * Every round trip wakes two threads; for a fast model that costs more than the tokens (a 2-core
 * machine streamed stories260K at 0.6 of direct speed with one reply per token). So after a
 * reply's first step the host goes on collecting the steps that follow quickly: it waits at most
 * STEP_GAP_MS for each next one (a model slower than that gets each step at once, 1 ms late at
 * most) and replies by STREAM_BATCH_MS after the first (well under a screen refresh).
 */
const STEP_GAP_MS = 1;
const STREAM_BATCH_MS = 8;

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
    let batchTimer: ReturnType<typeof setTimeout> | undefined;
    let batchOver: Promise<'late'> | undefined;
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
        next = this.session.streamNext(context, []);
        if (steps.length >= max) break;
        batchOver ??= new Promise((resolve) => (batchTimer = setTimeout(resolve, STREAM_BATCH_MS, 'late')));
        let gapTimer: ReturnType<typeof setTimeout> | undefined;
        const gapOver = new Promise<'late'>((resolve) => (gapTimer = setTimeout(resolve, STEP_GAP_MS, 'late')));
        const first = await Promise.race([next.then(() => 'ready', () => 'ready'), batchOver, gapOver]);
        clearTimeout(gapTimer);
        if (first === 'late') break;
      }
      this.ahead.set(context, next);
      return steps;
    } finally {
      clearTimeout(batchTimer);
    }
  }

  /** Lets the step in flight finish before the stream ends or its context goes. */
  async settle(context: number): Promise<void> {
    const pending = this.ahead.get(context);
    this.ahead.delete(context);
    await pending?.catch(() => undefined);
  }
}
