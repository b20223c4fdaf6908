// Model-loading fuzz: mutated models for every backend, loaded (and, when they load, computed on)
// through each backend's own `load`, bounded in count. The cases run in a child process
// (model-fuzz-child.mjs) so an engine that crashes or hangs is seen and attributed to the case,
// and the fuzz goes on with the next case. Findings (F…) refer to docs/security.md.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BackendName } from './helpers.js';

const child = fileURLToPath(new URL('./model-fuzz-child.mjs', import.meta.url));
const SEED = 4;
/** Cases per backend: many where a load costs milliseconds, fewer where it costs more. */
const CASES: Record<BackendName, number> = { onnx: 300, classic: 300, tfjs: 100, genai: 100, llama: 200 };
/** A case that makes no progress for this long is a hang. */
const HANG_MS = 30_000;
/**
 * Cases (seed, index) that once took an engine down, found by longer runs of this fuzz: they run
 * on every test run, so each stays fixed. llama.cpp asserted (abort) on a repeated vocabulary
 * token (seed 4 case 6, seed 3 case 209, seed 2 case 51) and on a tensor with a zero dimension
 * (seed 2 case 396).
 */
const KNOWN_CRASHERS: Partial<Record<BackendName, Array<[number, number]>>> = {
  llama: [
    [4, 6],
    [3, 209],
    [2, 51],
    [2, 396],
  ],
};

interface CaseEvent {
  event: 'start' | 'end' | 'done';
  index?: number;
  model?: string;
  how?: string;
  outcome?: 'rejected' | 'loaded' | 'computed';
  detail?: string;
}

interface FuzzReport {
  cases: number;
  loaded: number;
  computed: number;
  /** Cases that took the whole process down (a signal or an abnormal exit), or hung. */
  crashes: string[];
  /** Rejections that were not an NnError with a wasi:nn code. */
  improper: string[];
  /** True when the backend's dispose() settled after the last case. */
  disposed: boolean;
}

/** Runs cases [first, last] in one child; resolves with its events and how it ended. */
function runChild(backend: BackendName, first: number, last: number, seed = SEED): Promise<{ events: CaseEvent[]; exit: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [child, backend, String(seed), String(first), String(last)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events: CaseEvent[] = [];
    let buffered = '';
    let stderr = '';
    let hung = false;
    let watchdog = setTimeout(() => ((hung = true), proc.kill('SIGKILL')), HANG_MS);
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('{')) events.push(JSON.parse(line) as CaseEvent);
      clearTimeout(watchdog);
      watchdog = setTimeout(() => ((hung = true), proc.kill('SIGKILL')), HANG_MS);
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    proc.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolve({ events, exit: hung ? `hung (no progress in ${HANG_MS / 1000} s)` : signal ? `killed by ${signal}` : `exit ${code}`, stderr });
    });
  });
}

/** All cases for one backend, going on past any case that crashes the child. */
async function fuzz(backend: BackendName): Promise<FuzzReport> {
  const report: FuzzReport = { cases: 0, loaded: 0, computed: 0, crashes: [], improper: [], disposed: false };
  const last = CASES[backend] - 1;
  let first = 0;
  while (first <= last) {
    const { events, exit, stderr } = await runChild(backend, first, last);
    let started: CaseEvent | undefined;
    for (const e of events) {
      if (e.event === 'start') started = e;
      if (e.event === 'end') {
        report.cases++;
        if (e.outcome !== 'rejected') report.loaded++;
        if (e.outcome === 'computed') report.computed++;
        if (e.detail?.startsWith('NOT an NnError')) report.improper.push(`case ${e.index} (${started?.model}, ${started?.how}): ${e.detail}`);
        started = undefined;
      }
      if (e.event === 'done') report.disposed = true;
    }
    if (!started) break; // every case ended; `disposed` says whether the backend's dispose() settled
    // The child died or hung inside a case: record it and go on after it.
    const lastLine = stderr.trim().split('\n').pop() ?? '';
    report.cases++;
    report.crashes.push(`case ${started.index} (${started.model}, ${started.how}): ${exit}; ${lastLine}`);
    first = started.index! + 1;
  }
  return report;
}

const reports = new Map<BackendName, Promise<FuzzReport>>();
/** Each backend is fuzzed once; the tests below read its report. */
function reportFor(backend: BackendName): Promise<FuzzReport> {
  if (!reports.has(backend)) reports.set(backend, fuzz(backend));
  return reports.get(backend)!;
}

describe.each(Object.keys(CASES) as BackendName[])('mutated %s models', (backend) => {
  it(`${CASES[backend]} cases: no crash and no hang (F7); the unchanged models load and compute`, async () => {
    const report = await reportFor(backend);
    expect(report.cases).toBe(CASES[backend]);
    // The controls (each unchanged model, first) loaded and computed, so the fuzz reached the engine.
    expect(report.computed).toBeGreaterThan(0);
    expect({ backend, crashes: report.crashes }).toEqual({ backend, crashes: [] });
  });

  it('every rejection is an NnError with a wasi:nn code (F9)', async () => {
    expect({ backend, improper: (await reportFor(backend)).improper }).toEqual({ backend, improper: [] });
  });

  it("the backend's dispose() settles after the fuzz (F10)", async () => {
    // The child that ran the last case ends with the backend's dispose(); `done` comes after it.
    expect({ backend, disposed: (await reportFor(backend)).disposed }).toEqual({ backend, disposed: true });
  });
});

describe('cases that once crashed an engine', () => {
  for (const [backend, cases] of Object.entries(KNOWN_CRASHERS) as Array<[BackendName, Array<[number, number]>]>) {
    it(`${backend}: ${cases.map(([seed, index]) => `seed ${seed} case ${index}`).join(', ')} end in an answer, not a crash (F7)`, async () => {
      for (const [seed, index] of cases) {
        const { events, exit, stderr } = await runChild(backend, index, index, seed);
        const end = events.find((e) => e.event === 'end');
        expect({ seed, index, exit, ended: Boolean(end), lastLog: end ? undefined : stderr.trim().split('\n').pop() }).toEqual({ seed, index, exit: 'exit 0', ended: true, lastLog: undefined });
        expect(end?.detail ?? '').not.toMatch(/^NOT an NnError/);
      }
    });
  }
});
