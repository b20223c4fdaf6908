/**
 * Spinning briefly before sleeping, for the bridge's two waits.
 *
 * A thread asleep in `Atomics.wait` (or a host asleep in its event loop under `Atomics.waitAsync`)
 * takes 20–25 µs to wake on a virtual machine: the sleeping CPU has to be interrupted. A small
 * model's compute takes less than that, and a guest's next call often follows its last reply by
 * a few µs, so checking the shared word in a loop for a moment first saves both wake-ups.
 *
 * A spin that runs out was wasted CPU, so a policy that keeps failing stops trying: each failure
 * doubles the number of waits that skip the spin (up to `maxSkip`), and a success resets it. A
 * guest waiting on a slow engine (an LLM's decode step, hundreds of µs) thus spins once in every
 * `maxSkip` waits at most.
 */
export class SpinWait {
  private skip = 0;
  private backoff = 1;

  constructor(
    private readonly windowMs: number,
    private readonly maxSkip = 64,
  ) {}

  /** Spins while `pending()` holds, for at most the window; true when it stopped holding. */
  spin(pending: () => boolean): boolean {
    if (!pending()) return true;
    if (this.skip > 0) {
      this.skip--;
      return false;
    }
    const until = performance.now() + this.windowMs;
    while (pending()) {
      if (performance.now() >= until) {
        this.skip = this.backoff;
        this.backoff = Math.min(this.backoff * 2, this.maxSkip);
        return false;
      }
    }
    this.backoff = 1;
    return true;
  }
}
