// Helpers the package benchmarks share: interleaved rounds, medians with their spread, the phase
// marks `wacs run` writes under WACS_TRACE=1, and the line saying when, where and on which commit a
// figure was measured. A shared 2-vCPU machine makes any single timing noisy: every path is measured
// in many short rounds, taking turns (the order rotates each round), and reported as the median
// with its interquartile range, beside the absolute cost it adds.
import { execFileSync, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

const repoRoot = new URL('..', import.meta.url).pathname;

/** Median, quartiles and extremes of a sample (linear interpolation between order statistics). */
export function stats(samples) {
  const xs = [...samples].sort((a, b) => a - b);
  const at = (q) => {
    const i = (xs.length - 1) * q;
    const lo = Math.floor(i);
    return xs[lo] + (xs[Math.min(lo + 1, xs.length - 1)] - xs[lo]) * (i - lo);
  };
  return { n: xs.length, median: at(0.5), p25: at(0.25), p75: at(0.75), min: xs[0], max: xs.at(-1) };
}

/** `12.3 (11.9–13.0)`: the median and its interquartile range. */
export function fmt(samples, digits = 1) {
  const s = stats(samples);
  return `${s.median.toFixed(digits)} (${s.p25.toFixed(digits)}–${s.p75.toFixed(digits)})`;
}

/**
 * Runs each path once per round, in an order that rotates every round, and returns each path's
 * samples by name. A path is `async () => number` (one measurement).
 */
export async function interleave(rounds, paths, { onRound } = {}) {
  const names = Object.keys(paths);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      samples[name].push(await paths[name]());
    }
    onRound?.(round, samples);
  }
  return samples;
}

/** Per-round differences and ratios of two paths measured in the same rounds. */
export const differences = (a, b) => a.map((x, i) => x - b[i]);
export const ratios = (a, b) => a.map((x, i) => x / b[i]);

/** The phase marks of a `wacs run` made with WACS_TRACE=1: `{ marks: Map<phase, ms>, rss: Map<phase, KiB>, peakRssKiB }`. */
export function parseTrace(stderr) {
  const marks = new Map();
  const rss = new Map();
  for (const m of stderr.matchAll(/^wacs-trace (\S+) ([\d.]+) (\d+)$/gm)) {
    marks.set(m[1], Number(m[2]));
    rss.set(m[1], Number(m[3]));
  }
  const peak = /^wacs-trace-peak-rss-kib (\d+)$/m.exec(stderr);
  return { marks, rss, peakRssKiB: peak ? Number(peak[1]) : undefined };
}

/** Wall-clock now in ms, comparable with the marks a traced process writes. */
export const wallClockMs = () => performance.timeOrigin + performance.now();

/**
 * Spawns a process and resolves with its output, wall time (spawn to exit, ms), and the wall-clock
 * time it was spawned at (to compare with its trace marks).
 */
export function timedSpawn(command, args, { env = process.env, cwd = repoRoot, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const spawnedAt = wallClockMs();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, spawnedAt, wallMs: wallClockMs() - spawnedAt });
    });
  });
}

/** The commit the figures come from (`abc1234`, `+` when the tree had uncommitted changes). */
export function commit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    return dirty ? `${head}+` : head;
  } catch {
    return 'unknown';
  }
}

/** One line for a results section: date, commit, Node, CPUs and load average when it ran. */
export function provenance() {
  return `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${commit()}; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, load average ${loadavg()[0].toFixed(1)} at the start (a shared machine: read the ratios and µs added, measured in the same rounds).`;
}
