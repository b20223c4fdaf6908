import { describe, expect, it } from 'vitest';
import { SpinWait } from '../src/bridge/spin-wait.js';

/** A condition that holds for its first `holds` checks, counting every check. */
function pendingFor(holds: number) {
  const state = { checks: 0, pending: () => state.checks++ < holds };
  return state;
}

const neverEnds = () => pendingFor(Number.POSITIVE_INFINITY);

/**
 * A clock that moves only when told, and a condition on it: each check of the condition moves the
 * clock by `stepMs`, and the condition holds until `forMs` have passed. A spin is then the same on
 * an idle machine and a loaded one.
 */
function fakeTime(stepMs = 0.001) {
  let now = 0;
  return {
    now: () => now,
    pendingFor(forMs: number) {
      const until = now + forMs;
      return () => {
        now += stepMs;
        return now < until;
      };
    },
  };
}

describe('SpinWait', () => {
  it('returns true at once, without spinning, when nothing is pending', () => {
    const condition = pendingFor(0);
    expect(new SpinWait({ minMs: 1000 }).spin(condition.pending)).toBe(true);
    expect(condition.checks).toBe(1);
  });

  it('spins until the condition ends within the window', () => {
    const condition = pendingFor(500);
    expect(new SpinWait({ minMs: 1000 }).spin(condition.pending)).toBe(true);
    expect(condition.checks).toBe(501);
  });

  it('gives up after its window and reports it', () => {
    const spin = new SpinWait({ minMs: 0.2 });
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
    expect(pattern(new SpinWait({ minMs: 0.02, maxSkip: 4 }), 16)).toBe('S-S--S----S----S');
  });

  it('spins again on the next wait after a success', () => {
    const spin = new SpinWait({ minMs: 0.02 });
    expect(pattern(spin, 5)).toBe('S-S--');
    const ending = pendingFor(3);
    expect(spin.spin(ending.pending)).toBe(true); // the skip ran out: it spun, and the condition ended
    expect(ending.checks).toBe(4);
    expect(pattern(spin, 3)).toBe('S-S');
  });

  it('doubles its window after each spin that ran out, up to its largest, and only then skips waits', () => {
    const time = fakeTime();
    const spin = new SpinWait({ minMs: 0.02, maxMs: 0.08, maxSkip: 4, now: time.now });
    const windows: number[] = [];
    const shape = Array.from({ length: 7 }, () => {
      windows.push(spin.window);
      let checks = 0;
      const forever = time.pendingFor(Number.POSITIVE_INFINITY);
      expect(spin.spin(() => (checks++, forever()))).toBe(false);
      return checks > 1 ? 'S' : '-';
    }).join('');
    expect(shape).toBe('SSS-S--');
    expect(windows.slice(0, 3)).toEqual([0.02, 0.04, 0.08]);
  });

  it('after a spin that ended in time covers twice that wait, within its bounds, and shrinks slowly after quick ones', () => {
    const time = fakeTime();
    const spin = new SpinWait({ minMs: 0.05, maxMs: 0.5, now: time.now });
    expect(spin.spin(time.pendingFor(1))).toBe(false); // longer than any window: it grows
    expect(spin.window).toBe(0.1);
    expect(spin.spin(time.pendingFor(0.08))).toBe(true);
    expect(spin.window).toBeCloseTo(0.16, 2); // twice the 0.08 ms it waited
    expect(spin.spin(time.pendingFor(0.002))).toBe(true); // answered almost at once
    expect(spin.window).toBeCloseTo(0.16 * 0.95, 2);
    for (let i = 0; i < 100; i++) spin.spin(time.pendingFor(0.002));
    expect(spin.window).toBe(0.05);
    for (let i = 0; i < 3; i++) expect(spin.spin(time.pendingFor(1))).toBe(false);
    expect(spin.window).toBe(0.4);
    expect(spin.spin(time.pendingFor(0.3))).toBe(true);
    expect(spin.window).toBe(0.5); // twice 0.3, held to the largest
  });
});
