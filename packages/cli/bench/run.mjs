// Foundation benchmarks (issue 2): the cost of the guest boundary, measured against
// onnxruntime-node called directly in the same run. Prints a markdown section.
//   1. per-call overhead: a tiny model, guest (nn-compute --repeat) vs direct session.run
//   2. throughput: a 64 MiB FP32 tensor in and out (Identity model), guest vs direct
//   3. start-up: `wacs run` of a cached component to its first wasi:nn call
import { identityModel, linearModel, guest, runWacs } from '@wacs/fixtures';
import ort from 'onnxruntime-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'wacs-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function directMeanUs(modelPath, makeFeeds, repeat) {
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  await session.run(makeFeeds());
  const start = performance.now();
  for (let i = 0; i < repeat; i++) await session.run(makeFeeds());
  const us = ((performance.now() - start) * 1000) / repeat;
  await session.release();
  return us;
}

async function guestMeanUs(modelPath, inputArgs, repeat) {
  const r = await runWacs(['run', guest('nn-compute'), '--bind', '@wacs/backend-onnx', '--model', `m=${modelPath}`, '--', 'm', ...inputArgs, '--repeat', String(repeat)], { timeoutMs: 600_000 });
  const match = /mean_us ([\d.]+)/.exec(r.stdout);
  if (!match) throw new Error(`guest run failed: ${r.stderr}`);
  return Number(match[1]);
}

const lines = ['## Foundation: the guest boundary (issue 2)', ''];

// 1. Per-call overhead
const small = join(dir, 'linear.onnx');
writeFileSync(small, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
const smallFeeds = () => ({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 1), [1, 3]) });
const runs = [];
for (let i = 0; i < 3; i++) {
  const direct = await directMeanUs(small, smallFeeds, 20000);
  const viaGuest = await guestMeanUs(small, ['x=FP32:1x3:1,1,1'], 20000);
  runs.push({ direct, viaGuest, extra: viaGuest - direct });
}
const best = runs.sort((a, b) => a.extra - b.extra)[1];
lines.push(
  '| per-call, 1x3 -> 1x2 linear model (median of 3 runs of 20,000 computes) | µs per compute |',
  '|---|---|',
  `| onnxruntime-node direct (session.run, new input tensor each call) | ${best.direct.toFixed(1)} |`,
  `| TypeScript component guest -> wacs -> onnxruntime-node | ${best.viaGuest.toFixed(1)} |`,
  `| **extra per compute** (target < 50) | **${best.extra.toFixed(1)}** |`,
  '',
);

// 2. Throughput: 64 MiB in and out
const elements = (64 * 2 ** 20) / 4;
const big = join(dir, 'identity.onnx');
writeFileSync(big, identityModel('float', [elements]));
const bigInput = new Float32Array(elements).fill(1);
const direct64 = await directMeanUs(big, () => ({ x: new ort.Tensor('float32', bigInput, [elements]) }), 10);
const guest64 = await guestMeanUs(big, ['--fill', `x=FP32:${elements}:1`], 10);
const mib = 64;
lines.push(
  '| 64 MiB FP32 tensor in, 64 MiB out (Identity; mean of 10) | ms per compute | throughput |',
  '|---|---|---|',
  `| onnxruntime-node direct | ${(direct64 / 1000).toFixed(1)} | |`,
  `| guest -> wacs -> onnxruntime-node | ${(guest64 / 1000).toFixed(1)} | ${((2 * mib) / 1024 / (guest64 / 1e6)).toFixed(2)} GiB/s end to end (128 MiB moved) |`,
  `| boundary cost (guest - direct) | ${((guest64 - direct64) / 1000).toFixed(1)} | **${((2 * mib) / 1024 / ((guest64 - direct64) / 1e6)).toFixed(2)} GiB/s** across the boundary (target >= 1 GB/s) |`,
  '',
);

// 3. Start-up to the first wasi:nn call (cached component)
const firstCall = new URL('./first-call-backend.mjs', import.meta.url).pathname;
const startArgs = ['run', guest('nn-compute'), '--bind', firstCall, '--model', `m=${small}`, '--', 'm', 'x=FP32:1x3:1,1,1'];
await runWacs(startArgs); // fills the transpile cache
const startups = [];
const totals = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  const r = await runWacs(startArgs);
  totals.push(performance.now() - t);
  startups.push(Number(/first-wasi-nn-call-ms ([\d.]+)/.exec(r.stderr)[1]));
}
lines.push(
  '| start-up, cached component (median of 10) | ms |',
  '|---|---|',
  `| process start -> first wasi:nn call reaches the host (target < 200) | **${median(startups).toFixed(0)}** |`,
  `| whole \`wacs run\` process, spawn to exit | ${median(totals).toFixed(0)} |`,
  '',
);
const markdown = lines.join('\n');
console.log(markdown);
writeFileSync(new URL('./results.md', import.meta.url), `${markdown}\n`);
