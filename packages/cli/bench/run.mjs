// Foundation benchmarks (issue 2): the cost of the guest boundary, measured against
// onnxruntime-node called directly in the same run, with two guests: the TypeScript component
// nn-compute (its JS runs in StarlingMonkey, an interpreter compiled to wasm) and the compiled Rust
// preview1 module nn-bench (its own work is negligible, so its extra time is the runtime's).
//   1. per-call overhead: a tiny model, guest loops vs direct session.run
//   2. throughput: a 64 MiB FP32 tensor in and out (Identity model), guest vs direct
//   3. start-up: `wacs run` of a cached component to its first wasi:nn call
import { identityModel, linearModel, guest, repoRoot, runWacs } from '@wacs/fixtures';
import ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
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

async function meanUs(wasm, modelPath, guestArgs, spec = '') {
  const r = await runWacs(['run', wasm, '--bind', '@wacs/backend-onnx', '--model', `m=${modelPath}${spec}`, '--', 'm', ...guestArgs], { timeoutMs: 600_000 });
  const match = /mean_us ([\d.]+)/.exec(r.stdout);
  if (!match) throw new Error(`guest run failed: ${r.stderr}`);
  return Number(match[1]);
}
const componentMeanUs = (modelPath, inputArgs, repeat) => meanUs(guest('nn-compute'), modelPath, [...inputArgs, '--repeat', String(repeat)]);
const nnBench = join(repoRoot, 'guests/preview1/bin/nn-bench.wasm');
// The boundary itself: the bridge to the host thread (in_thread=false). Small CPU ONNX models from
// preview1 guests compute in the guest's thread by default instead, with no round trip.
const compiledMeanUs = (modelPath, dims, outputElements, repeat, spec = ',in_thread=false') => meanUs(nnBench, modelPath, [dims, String(outputElements), String(repeat)], spec);

const lines = [
  '## Foundation: the guest boundary (issue 2)',
  '',
  `\`node packages/cli/bench/run.mjs\`; load average at the start: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores (other work on the machine inflates every figure).`,
  'The TypeScript guest\'s extra time includes its own JavaScript, interpreted by StarlingMonkey inside the guest; the compiled guest\'s extra time is the runtime\'s: ABI, bridge, host, backend.',
  '',
];

// 1. Per-call overhead
const small = join(dir, 'linear.onnx');
writeFileSync(small, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
const smallFeeds = () => ({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 1), [1, 3]) });
const runs = [];
for (let i = 0; i < 3; i++) {
  const direct = await directMeanUs(small, smallFeeds, 20000);
  const component = await componentMeanUs(small, ['x=FP32:1x3:1,1,1'], 20000);
  const compiled = await compiledMeanUs(small, '1x3', 2, 20000);
  const inThread = await compiledMeanUs(small, '1x3', 2, 20000, '');
  runs.push({ direct, component, compiled, inThread });
}
const med = (key) => median(runs.map((r) => r[key]));
lines.push(
  '| per call, 1x3 -> 1x2 linear model (median of 3 runs of 20,000 computes) | µs per compute | extra over direct |',
  '|---|---|---|',
  `| onnxruntime-node direct (session.run, new input tensor each call) | ${med('direct').toFixed(1)} | |`,
  `| compiled guest (Rust, preview1): set_input + compute + get_output, through the bridge | ${med('compiled').toFixed(1)} | **${(med('compiled') - med('direct')).toFixed(1)}** (target < 50) |`,
  `| the same guest computing in its own thread (backend-onnx's default for small CPU models) | ${med('inThread').toFixed(1)} | ${(med('inThread') - med('direct')).toFixed(1)} |`,
  `| TypeScript component guest (StarlingMonkey): new tensor + compute | ${med('component').toFixed(1)} | ${(med('component') - med('direct')).toFixed(1)} |`,
  '',
);

// 2. Throughput: 64 MiB in and out
const elements = (64 * 2 ** 20) / 4;
const big = join(dir, 'identity.onnx');
writeFileSync(big, identityModel('float', [elements]));
const bigInput = new Float32Array(elements).fill(1);
const direct64 = await directMeanUs(big, () => ({ x: new ort.Tensor('float32', bigInput, [elements]) }), 10);
const compiled64 = await compiledMeanUs(big, String(elements), elements, 10);
const inThread64 = await compiledMeanUs(big, String(elements), elements, 10, '');
const component64 = await componentMeanUs(big, ['--fill', `x=FP32:${elements}:1`], 10);
const gibps = (us) => ((2 * 64) / 1024 / (us / 1e6)).toFixed(2);
lines.push(
  '| 64 MiB FP32 tensor in, 64 MiB out (Identity; mean of 10) | ms per compute | end to end (128 MiB moved) | across the boundary (guest - direct) |',
  '|---|---|---|---|',
  `| onnxruntime-node direct | ${(direct64 / 1000).toFixed(1)} | | |`,
  `| compiled guest (Rust, preview1), through the bridge | ${(compiled64 / 1000).toFixed(1)} | ${gibps(compiled64)} GiB/s | **${gibps(compiled64 - direct64)} GiB/s** (target >= 1 GB/s) |`,
  `| the same guest computing in its own thread | ${(inThread64 / 1000).toFixed(1)} | ${gibps(inThread64)} GiB/s | ${gibps(inThread64 - direct64)} GiB/s |`,
  `| TypeScript component guest (StarlingMonkey) | ${(component64 / 1000).toFixed(1)} | ${gibps(component64)} GiB/s | ${gibps(component64 - direct64)} GiB/s |`,
  '',
);

// 3. Start-up to the first wasi:nn call (cached component)
const firstCall = new URL('./first-call-backend.mjs', import.meta.url).pathname;
const startArgs = ['run', guest('nn-compute'), '--bind', firstCall, '--model', `m=${small}`, '--', 'm', 'x=FP32:1x3:1,1,1'];
await runWacs(startArgs); // fills the transpile cache
const startups = [];
const unwatched = [];
const totals = [];
for (let i = 0; i < 10; i++) {
  const spawnedAt = performance.timeOrigin + performance.now();
  const t = performance.now();
  const r = await runWacs(startArgs);
  totals.push(performance.now() - t);
  startups.push(Number(/first-wasi-nn-call-at ([\d.]+)/.exec(r.stderr)[1]) - spawnedAt);
  const alone = performance.timeOrigin + performance.now();
  const one = await runWacs(startArgs, { env: { ...process.env, WACS_NO_WATCHER: '1' } });
  unwatched.push(Number(/first-wasi-nn-call-at ([\d.]+)/.exec(one.stderr)[1]) - alone);
}
lines.push(
  '| start-up, cached component (median of 10) | ms |',
  '|---|---|',
  `| \`wacs run\` spawned -> first wasi:nn call reaches the host (target < 200) | **${median(startups).toFixed(0)}** |`,
  `| the same without the crash-reporting watcher process (\`WACS_NO_WATCHER=1\`) | ${median(unwatched).toFixed(0)} |`,
  `| whole \`wacs run\`, spawn to exit | ${median(totals).toFixed(0)} |`,
  '',
);
// 4. wacs serve (issue 17): its own script (bench/serve.mjs); its section follows this one, with the
// 10,000-request reliability run's (bench/reliability.mjs, run on its own: it takes many minutes).
const serve = spawnSync(process.execPath, [new URL('./serve.mjs', import.meta.url).pathname], { stdio: 'inherit' });
if (serve.status !== 0) throw new Error(`bench/serve.mjs failed (exit ${serve.status})`);
for (const file of ['./serve-results.md', './reliability-results.md']) {
  const path = new URL(file, import.meta.url);
  if (existsSync(path)) lines.push(readFileSync(path, 'utf8').trim(), '');
}
const markdown = lines.join('\n');
console.log(markdown);
writeFileSync(new URL('./results.md', import.meta.url), `${markdown}\n`);
