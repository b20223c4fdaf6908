/**
 * Phase timestamps for benchmarks: with WACS_TRACE=1 in the environment, `traceMark` writes
 * `wacs-trace <phase> <wall-clock ms> <process RSS in KiB>` on stderr the first time each phase is reached in a thread
 * (start-up, first load, first compute, exit), and `tracePeakRss` the process's peak resident
 * memory. Unset, each call is one boolean test. The benchmarks (packages/cli/bench) read the lines.
 */
// No static node: import: the in-thread front end marks phases too, and it also runs in a browser
// (@wacs/browser), where there is no process and tracing is simply off.
const enabled = typeof process !== 'undefined' && Boolean(process.env?.WACS_TRACE);

/** Writes straight to fd 2, so lines from every thread keep their order (Node only: `enabled` implies it). */
function writeSync(fd: number, text: string): void {
  (process.getBuiltinModule('fs') as typeof import('node:fs')).writeSync(fd, text);
}
const seen = new Set<string>();

export function tracing(): boolean {
  return enabled;
}

/** Wall-clock ms with sub-ms precision, comparable across threads and processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function traceMark(phase: string, at: number = wallClockMs()): void {
  if (!enabled || seen.has(phase)) return;
  seen.add(phase);
  writeSync(2, `wacs-trace ${phase} ${at.toFixed(2)} ${Math.round(process.memoryUsage.rss() / 1024)}\n`);
}

/** The process's peak resident set (all its threads), in KiB. */
export function tracePeakRss(): void {
  if (enabled) writeSync(2, `wacs-trace-peak-rss-kib ${process.resourceUsage().maxRSS}\n`);
}
