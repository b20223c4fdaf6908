import { describe, expect, it } from 'vitest';
import { SpinWait } from '../src/bridge/spin-wait.js';

/** A condition that holds for its first `holds` checks, counting every check. */
function pendingFor(holds: number) {
  const state = { checks: 0, pending: () => state.checks++ < holds };
  return state;
}

const neverEnds = () => pendingFor(Number.POSITIVE_INFINITY);

describe('SpinWait', () => {
  it('returns true at once, without spinning, when nothing is pending', () => {
    const condition = pendingFor(0);
    expect(new SpinWait(1000).spin(condition.pending)).toBe(true);
    expect(condition.checks).toBe(1);
  });

  it('spins until the condition ends within the window', () => {
    const condition = pendingFor(500);
    expect(new SpinWait(1000).spin(condition.pending)).toBe(true);
    expect(condition.checks).toBe(501);
  });

  it('gives up after its window and reports it', () => {
    const spin = new SpinWait(0.2);
    const started = performance.now();
    expect(spin.spin(neverEnds().pending)).toBe(false);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(0.2);
  });

  /** What `waits` waits on a condition that never ends do: S for a spin, - for a skip. */
  const pattern = (spin: SpinWait, waits: number) =>
    Array.from({ length: waits }, () => {
      const condition = neverEnds();
      expect(spin.spin(condition.pending)).toBe(false);
      return condition.checks > 1 ? 'S' : '-';
    }).join('');

  it('after each failure skips twice as many waits as before, up to maxSkip, checking the condition once in each', () => {
    expect(pattern(new SpinWait(0.02, 4), 16)).toBe('S-S--S----S----S');
  });

  it('spins again on the next wait after a success', () => {
    const spin = new SpinWait(0.02, 64);
    expect(pattern(spin, 5)).toBe('S-S--');
    const ending = pendingFor(3);
    expect(spin.spin(ending.pending)).toBe(true); // the skip ran out: it spun, and the condition ended
    expect(ending.checks).toBe(4);
    expect(pattern(spin, 3)).toBe('S-S');
  });
});
