// Benchmark: a 100-tree random forest on 100,000 rows, as ml.js JSON, PMML and ONNX-ML: each
// engine called directly, then through the iris-classify guest (wacs run). Prints a markdown
// section and writes it to bench/results.md. Uses the built dist: run `npm run build` first.
//
//   node bench/run.mjs
import { ort } from '@wacs/onnxruntime';
import { guest, repoRoot, runWacs } from '@wacs/fixtures';
import { RandomForestClassifier } from 'ml-random-forest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePmml, readInputs } from '../dist/index.js';
import { mljsForestToOnnx } from '../fixtures/onnx-ml.mjs';
import { forestVisits, mljsForestToPmml } from '../fixtures/pmml.mjs';

const TREES = 100;
const ROWS = 100_000;
const FEATURES = ['a', 'b', 'c', 'd'];
const here = new URL('.', import.meta.url).pathname;

// Deterministic data: three classes from a noisy linear score of four features.
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const sample = () => FEATURES.map(() => rand() * 10);
const classOf = (x) => {
  const s = x[0] + 0.5 * x[1] - 0.3 * x[2] + (rand() - 0.5) * 3;
  return s < 3 ? 0 : s < 7 ? 1 : 2;
};
const train = Array.from({ length: 600 }, sample);
const labels = train.map(classOf);
const rows = Array.from({ length: ROWS }, sample);

const started = performance.now();
const forest = new RandomForestClassifier({ nEstimators: TREES, seed: 42, noOOB: true, maxFeatures: 1.0, treeOptions: { maxDepth: 10 } });
forest.train(train, labels);
const json = JSON.parse(JSON.stringify(forest.toJSON()));
const trainMs = performance.now() - started;
let nodes = 0;
const count = (n) => {
  nodes++;
  if (n.left) {
    count(n.left);
    count(n.right);
  }
};
json.baseModel.estimators.forEach((e) => count(e.root));

const dir = mkdtempSync(join(tmpdir(), 'classic-bench-'));
const paths = { mljs: join(dir, 'forest.json'), pmml: join(dir, 'forest.pmml'), onnx: join(dir, 'forest.onnx') };
const pmmlText = mljsForestToPmml(json, FEATURES, [0, 1, 2]);
const onnxBytes = mljsForestToOnnx(json, FEATURES.length, 3);
writeFileSync(paths.mljs, JSON.stringify(json));
writeFileSync(paths.pmml, pmmlText);
writeFileSync(paths.onnx, onnxBytes);

// The machine is shared: every figure is the best of REPEATS runs.
const REPEATS = 3;
function timed(fn, repeats = REPEATS) {
  let best;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    const value = fn();
    const ms = performance.now() - t;
    if (!best || ms < best.ms) best = { ms, value };
  }
  return best;
}
async function timedAsync(fn) {
  let best;
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    const value = await fn();
    const ms = performance.now() - t;
    if (!best || ms < best.ms) best = { ms, value };
  }
  return best;
}
const perSecond = (n, ms) => (n / ms) * 1000;
const fmt = (n) => Math.round(n).toLocaleString('en-US');

// Each engine gets a warm-up call on 10,000 rows (JIT, lazy loading) before the timed one.
const warm = rows.slice(0, 10_000);

// ml.js, the library itself.
forest.predict(warm);
const mljs = timed(() => forest.predict(rows));

// PMML: compile once, then predict through the tensor contract's reader.
const flat = Float64Array.from(rows.flat());
const features = { name: 'features', tensor: { type: 'FP64', dimensions: [ROWS, 4], data: new Uint8Array(flat.buffer) } };
const compile = timed(() => compilePmml(pmmlText), 1);
compile.value.predict(readInputs([{ name: 'features', tensor: { type: 'FP64', dimensions: [warm.length, 4], data: new Uint8Array(Float64Array.from(warm.flat()).buffer) } }]));
const pmml = timed(() => compile.value.predict(readInputs([features])));
const visits = rows.reduce((s, r) => s + forestVisits(json, r), 0);

// onnxruntime-node on the same forest as a TreeEnsembleClassifier.
const engine = await ort();
async function ortRows(threads) {
  const session = await engine.InferenceSession.create(onnxBytes, threads ? { intraOpNumThreads: threads } : {});
  const X = new engine.Tensor('float32', Float32Array.from(rows.flat()), [ROWS, 4]);
  await session.run({ X: new engine.Tensor('float32', Float32Array.from(warm.flat()), [warm.length, 4]) });
  const run = await timedAsync(() => session.run({ X }));
  await session.release();
  return run;
}
const ort1 = await ortRows(1);
const ortAll = await ortRows(0);

// Agreement of labels with ml.js (majority votes may break ties differently).
const agree = (labelsOf) => labelsOf.filter((l, i) => l === mljs.value[i]).length / ROWS;
const pmmlLabels = Array.from(pmml.value.labels);
const ortLabels = Array.from(ortAll.value.label.data, Number);

// Through the guest: CSV on stdin, one compute per 10,000 rows; the guest times its computes.
const csv = ['a,b,c,d', ...rows.map((r) => r.map((v) => v.toFixed(6)).join(','))].join('\n');
const binds = ['--bind', join(repoRoot, 'packages/backend-classic'), '--bind', join(repoRoot, 'packages/backend-onnx')];
async function viaGuest(modelArg) {
  let best;
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const result = await runWacs(['run', guest('iris-classify'), ...binds, '--model', `m=${modelArg}`, '--', 'm', '--batch', '10000', '--summary'], { stdin: csv, timeoutMs: 300_000 });
    const wallMs = performance.now() - t;
    if (result.code !== 0) throw new Error(`guest run failed (${result.code}): ${result.stderr}`);
    const computeMs = Number(/compute_ms ([\d.]+)/.exec(result.stdout)[1]);
    if (!best || computeMs < best.computeMs) best = { computeMs, wallMs };
  }
  return best;
}
const guestMljs = await viaGuest(paths.mljs);
const guestPmml = await viaGuest(paths.pmml);
const guestOnnx = await viaGuest(`${paths.onnx},intra_op_threads=1`);

const direct = {
  mljs: perSecond(ROWS, mljs.ms),
  pmml: perSecond(ROWS, pmml.ms),
  ort1: perSecond(ROWS, ort1.ms),
  ortAll: perSecond(ROWS, ortAll.ms),
};
const row = (path, engineName, rate, base) => `| ${path} | ${engineName} | ${fmt(rate)} | ${(rate / base).toFixed(2)} |`;
const guestRow = (name, g, base) =>
  `| guest | iris-classify → classic (${name}) | ${fmt(perSecond(ROWS, g.computeMs))} | ${(perSecond(ROWS, g.computeMs) / base).toFixed(2)} |`;
const cpu = cpus();
const lines = [
  `## backend-classic: ${TREES}-tree random forest, ${fmt(ROWS)} rows`,
  '',
  `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end (the machine is shared); Node ${process.version}.`,
  `Forest: ml-random-forest, ${TREES} trees (seed 42, max depth 10), ${fmt(nodes)} nodes, 4 features, 3 classes, trained on 600 synthetic rows in ${(trainMs / 1000).toFixed(1)} s;`,
  `written as ml.js JSON (${(JSON.stringify(json).length / 2 ** 20).toFixed(1)} MiB), PMML majorityVote MiningModel (${(pmmlText.length / 2 ** 20).toFixed(1)} MiB) and an ONNX-ML TreeEnsembleClassifier (${(onnxBytes.length / 2 ** 10).toFixed(0)} KiB).`,
  '',
  '| path | engine | rows/s | vs that engine called directly |',
  '|---|---|---:|---:|',
  row('direct', 'ml.js `RandomForestClassifier.predict`', direct.mljs, direct.mljs),
  row('direct', 'PMML evaluator (`compilePmml(…).predict`)', direct.pmml, direct.pmml),
  row('direct', 'onnxruntime-node, 1 intra-op thread', direct.ort1, direct.ort1),
  row('direct', `onnxruntime-node, default threads (${cpu.length} cores)`, direct.ortAll, direct.ort1),
  guestRow('ml.js JSON', guestMljs, direct.mljs),
  guestRow('PMML', guestPmml, direct.pmml),
  guestRow('ONNX-ML, 1 thread', guestOnnx, direct.ort1),
  '',
  `Best of ${REPEATS} runs for the direct figures, of 2 for the guest ones; on a loaded machine a guest figure can come out above the direct one (they are measured at different moments), so read ratios near 1 as no measurable overhead. Guest rows/s count the time the guest spends inside wasi:nn compute (10 computes of 10,000 rows: tensor copies across the worker boundary, the contract's reading and writing, the engine). Whole runs, with start-up and the guest parsing 100,000 CSV rows in its interpreter: ml.js ${(guestMljs.wallMs / 1000).toFixed(1)} s, PMML ${(guestPmml.wallMs / 1000).toFixed(1)} s, ONNX-ML ${(guestOnnx.wallMs / 1000).toFixed(1)} s.`,
  '',
  `PMML evaluator: ${fmt(visits)} tree-node visits (root to leaf, every tree, every row) in ${(pmml.ms / 1000).toFixed(2)} s on one core: **${(perSecond(visits, pmml.ms) / 1e6).toFixed(1)} M node visits/s** (target ≥ 1 M/s per core). Compiling the ${(pmmlText.length / 2 ** 20).toFixed(1)} MiB document took ${(compile.ms / 1000).toFixed(2)} s.`,
  '',
  `Across formats, direct: PMML evaluator / ml.js = ${(direct.pmml / direct.mljs).toFixed(2)}; onnxruntime (1 thread) / PMML evaluator = ${(direct.ort1 / direct.pmml).toFixed(2)}.`,
  `Labels agreeing with ml.js: PMML ${(agree(pmmlLabels) * 100).toFixed(2)} %, ONNX-ML ${(agree(ortLabels) * 100).toFixed(2)} % (tied votes are broken by class order there, by vote order in ml.js).`,
  '',
];
const markdown = lines.join('\n');
console.log(markdown);
writeFileSync(join(here, 'results.md'), markdown);
