// A TypeScript guest's interpreter runs on optimized code from its first instruction
// (core's runner/interpreter-loops.ts). Two oracles from V8 itself: its CPU profiler names the wasm
// function where the guest's time goes, and its compile trace says which compiler built that
// function. Without the hint V8 builds the loop with Liftoff first, and `run` never leaves that code.
import { guest, linearModel, wacsBin } from '@wacs/fixtures';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Across the profiles in `dir`, the index of the wasm function with the most self time. */
function hottestWasmFunction(dir: string): number {
  const selfTime = new Map<number, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const names = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
    profile.samples.forEach((id, i) => {
      const match = /^wasm-function\[(\d+)\]$/.exec(names.get(id) ?? '');
      if (match) selfTime.set(Number(match[1]), (selfTime.get(Number(match[1])) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
  }
  const [hottest] = [...selfTime].sort((a, b) => b[1] - a[1]);
  if (!hottest) throw new Error(`no wasm function in the profiles in ${dir}`);
  return hottest[0];
}

it("the function where a TypeScript guest's time goes is compiled by TurboFan before it runs, never by Liftoff", () => {
  const dir = mkdtempSync(join(tmpdir(), 'wacs-interpreter-loop-'));
  const model = join(dir, 'linear.onnx');
  writeFileSync(model, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
  const r = spawnSync(
    process.execPath,
    // Enough computes, and samples, that the loop outweighs start-up on a loaded machine (with
    // 2,000 computes at the default 1 ms interval, a start-up function once came out hottest).
    ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200', '--trace-wasm-compilation-times', wacsBin, 'run', guest('nn-compute'), '--bind', '@wacs/backend-onnx', '--model', `m=${model}`, '--', 'm', 'x=FP32:1x3:1,1,1', '--repeat', '20000'],
    { encoding: 'utf8', env: { ...process.env, WACS_NO_WATCHER: '1' }, maxBuffer: 64 * 2 ** 20 },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('y FP32 [1,2] 9.5 11'); // x · W + b by hand
  const hottest = hottestWasmFunction(dir);
  // V8 prints `Compiled function <module>#<index> using <compiler>, …` for each function it compiles.
  const compilers = [...r.stdout.matchAll(new RegExp(`#${hottest} using (\\w+)`, 'g'))].map((m) => m[1]);
  expect(compilers).toEqual(['TurboFan']);
});
