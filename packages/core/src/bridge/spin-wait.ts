/**
 * Spinning briefly before sleeping, for the bridge's two waits.
 *
 * A thread asleep in `Atomics.wait` (or a host asleep in its event loop under `Atomics.waitAsync`)
 * takes 20–100 µs to wake on a virtual machine: the sleeping CPU has to be interrupted, and the
 * host's event loop has to turn. A small model's compute takes less than that, and a guest's next
 * call often follows its last reply by a few µs, so checking the shared word in a loop for a moment
 * first saves both wake-ups.
 *
 * How long a moment is depends on the other side: a compiled guest calls again within µs, a
 * JavaScript guest interpreted by StarlingMonkey after 30–100 µs of its own work, a tfjs compute
 * answers in about 100. So the window adapts between `minMs` and `maxMs`: after a spin that ended
 * in time it covers twice that wait (shrinking slowly, so one quick answer does not undo it), and
 * a spin that ran out doubles it for the next wait.
 *
 * A spin that runs out at the largest window was wasted CPU, so a policy that keeps failing stops
 * trying: each such failure doubles the number of waits that skip the spin (up to `maxSkip`), and a
 * success resets it. A guest waiting on a slow engine (an LLM's decode step, milliseconds) thus
 * spins once in every `maxSkip` waits at most.
 */
export interface SpinWaitOptions {
  /** The smallest window, and the first (ms). */
  minMs: number;
  /** The largest window (ms; default: `minMs`, a fixed window). */
  maxMs?: number;
  /** The most waits skipped after a spin that ran out at the largest window (default 64). */
  maxSkip?: number;
  /** The clock, in ms (default `performance.now`; tests give their own). */
  now?: () => number;
}

export class SpinWait {
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly maxSkip: number;
  private readonly now: () => number;
  private windowMs: number;
  private skip = 0;
  private backoff = 1;

  constructor({ minMs, maxMs = minMs, maxSkip = 64, now = () => performance.now() }: SpinWaitOptions) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.maxSkip = maxSkip;
    this.now = now;
    this.windowMs = minMs;
  }

  /** Spins while `pending()` holds, for at most the window; true when it stopped holding. */
  spin(pending: () => boolean): boolean {
    if (!pending()) return true;
    if (this.skip > 0) {
      this.skip--;
      return false;
    }
    const started = this.now();
    const until = started + this.windowMs;
    while (pending()) {
      if (this.now() >= until) {
        if (this.windowMs < this.maxMs) {
          this.windowMs = Math.min(this.windowMs * 2, this.maxMs);
        } else {
          this.skip = this.backoff;
          this.backoff = Math.min(this.backoff * 2, this.maxSkip);
        }
        return false;
      }
    }
    this.backoff = 1;
    const waited = this.now() - started;
    this.windowMs = Math.min(this.maxMs, Math.max(this.minMs, 2 * waited, this.windowMs * SHRINK));
    return true;
  }

  /** The window the next spin will use, in ms. */
  get window(): number {
    return this.windowMs;
  }
}

/** How much a window shrinks per spin that ended well inside it. */
const SHRINK = 0.95;
