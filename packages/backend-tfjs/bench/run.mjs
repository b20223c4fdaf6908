// backend-tfjs benchmark (issue 7): the abalone MLP (Dense 8→50→50→1) at batch 1 and batch 1024,
//   - tfjs called directly (tensor in, predictOnBatch, data() out, dispose),
//   - the backend called in-process (wasi:nn tensors in and out, no guest),
//   - a TypeScript guest through wacs (nn-compute --repeat: guest → worker bridge → host → backend),
// each on the wasm engine and on the cpu engine. tfjs has one engine per process, so each engine's
// in-process figures come from a child process of this script. Rounds alternate the in-process
// child and the guest; figures are medians over rounds with p25–p75, ratios and µs added per round.
//   node bench/run.mjs            (after `npm run build`; uses ../shared's abalone-mlp when present)
import { guest, repoRoot, runWacs, sharedModel } from '@wacs/fixtures';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { differences, fmt, provenance, ratios } from '../../../scripts/bench-lib.mjs';

const ENGINES = ['wasm', 'cpu'];
const BATCHES = [
  // warmup: untimed guest computes first (the guest starts cold in a new process; V8 compiles its
  // 12 MiB of StarlingMonkey in tiers, in the background). Not more: componentize-js 0.19.3 frees the
  // guest's import-call buffers only when `run` returns, so a long loop slows down (ComponentizeJS#330).
  // The in-process paths warm up here.
  { rows: 1, repeat: 3000, warmup: 3000 },
  { rows: 1024, repeat: 200, warmup: 200 },
];
const ROUNDS = 5;
const here = fileURLToPath(import.meta.url);
const backendDir = join(repoRoot, 'packages/backend-tfjs');

/** Child mode: `run.mjs --in-process <engine> <model>` prints {direct, backend} µs per call for each batch. */
async function inProcess(engineName, modelPath) {
  const { engine, readModelFiles, tfjsBackend } = await import('../dist/index.js');
  const { tf } = await engine(engineName);
  const model = await tf.loadLayersModel((await readModelFiles(modelPath)).load(tf));
  const graph = await tfjsBackend.load({ source: { kind: 'path', path: modelPath }, encoding: 'tensorflow', target: 'auto', options: { engine: engineName } });
  const context = graph.createContext();
  const results = {};
  for (const { rows, repeat } of BATCHES) {
    const values = new Float32Array(rows * 8).fill(1);
    const direct = async () => {
      const x = tf.tensor(values, [rows, 8]);
      const y = model.predictOnBatch(x);
      await y.data();
      tf.dispose([x, y]);
    };
    const input = [{ name: '0', tensor: { type: 'FP32', dimensions: [rows, 8], data: new Uint8Array(values.buffer) } }];
    const viaBackend = () => context.compute(input);
    const meanUs = async (call) => {
      const start = performance.now();
      for (let i = 0; i < repeat; i++) await call();
      return ((performance.now() - start) * 1000) / repeat;
    };
    // Warm both paths up, then measure them alternately (A B A B) and keep each one's better run,
    // so that neither gains from running second.
    for (let i = 0; i < Math.ceil(repeat / 5); i++) await Promise.all([direct(), viaBackend()]);
    const [d1, b1, d2, b2] = [await meanUs(direct), await meanUs(viaBackend), await meanUs(direct), await meanUs(viaBackend)];
    results[rows] = { direct: Math.min(d1, d2), backend: Math.min(b1, b2) };
  }
  console.log(JSON.stringify(results));
}

async function guestMeanUs(engineName, modelPath, rows, repeat, warmup) {
  const r = await runWacs(
    ['run', guest('nn-compute'), '--bind', backendDir, '--model', `abalone=${modelPath},engine=${engineName}`, '--', 'abalone', '--fill', `0=FP32:${rows}x8:1`, '--warmup', String(warmup), '--repeat', String(repeat)],
    { timeoutMs: 600_000 },
  );
  const match = /mean_us ([\d.]+)/.exec(r.stdout);
  if (!match) throw new Error(`guest run failed (${engineName}, batch ${rows}): ${r.stderr}`);
  return Number(match[1]);
}

/** The abalone model from ../shared, or (fresh clone) an untrained model of the same shape. */
async function abaloneModel() {
  const shared = sharedModel('tfjs/abalone-mlp');
  if (shared) return { path: shared, note: '../shared/models/tfjs/abalone-mlp (trained)' };
  const { engine, saveModel } = await import('../dist/index.js');
  const { tf } = await engine('cpu');
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [8], units: 50, activation: 'sigmoid' }), tf.layers.dense({ units: 50, activation: 'sigmoid' }), tf.layers.dense({ units: 1 })],
  });
  const path = join(mkdtempSync(join(tmpdir(), 'wacs-tfjs-bench-')), 'abalone-shaped');
  await saveModel(model, path);
  return { path, note: 'an untrained model of the abalone shape (../shared absent)' };
}

async function main() {
  const loadBefore = loadavg()[0];
  const model = await abaloneModel();
  const figures = {};
  for (const engineName of ENGINES) {
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const child = JSON.parse(execFileSync(process.execPath, [here, '--in-process', engineName, model.path], { encoding: 'utf8' }));
      for (const { rows, repeat, warmup } of BATCHES) child[rows].guest = await guestMeanUs(engineName, model.path, rows, repeat, warmup);
      rounds.push(child);
    }
    figures[engineName] = Object.fromEntries(BATCHES.map(({ rows }) => [rows, Object.fromEntries(['direct', 'backend', 'guest'].map((k) => [k, rounds.map((r) => r[rows][k])]))]));
  }

  const us = (xs) => `${fmt(xs, 1)} µs`;
  const ratio = (a, b) => `${fmt(ratios(a, b), 2)}×`;
  const lines = [
    '## backend-tfjs: abalone MLP, guest vs tfjs direct, wasm vs cpu (issue 7)',
    '',
    `\`node packages/backend-tfjs/bench/run.mjs\`. ${provenance()}`,
    '',
    `Model: ${model.note}, Dense 8→50→50→1. Input: ones. Times are per compute, median (p25–p75) of ${ROUNDS} rounds ` +
      `(${BATCHES.map((b) => `${b.repeat} computes at batch ${b.rows}`).join(', ')}; in-process paths: the better of two alternating runs, after a warm-up). ` +
      `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, @tensorflow/tfjs 4.22.0; ` +
      `1-minute load average ${loadBefore.toFixed(1)} before the run, ${loadavg()[0].toFixed(1)} after (other work on the machine makes the figures noisy). ` +
      'tfjs direct = `tf.tensor` → `predictOnBatch` → `await data()` → dispose (what the backend does); ' +
      'backend = `context.compute` in-process (wasi:nn tensors); guest = nn-compute component through `wacs run` (its own timer around the compute loop, after `--warmup` untimed computes: ' +
        `${BATCHES.map((b) => `${b.warmup} at batch ${b.rows}`).join(', ')}).`,
    '',
    '| engine | batch | tfjs direct | backend in-process | guest via wacs | backend / direct | guest / direct | guest − direct |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const engineName of ENGINES) {
    for (const { rows } of BATCHES) {
      const f = figures[engineName][rows];
      lines.push(
        `| ${engineName} | ${rows} | ${us(f.direct)} | ${us(f.backend)} | ${us(f.guest)} | ${ratio(f.backend, f.direct)} | ${ratio(f.guest, f.direct)} | ${us(differences(f.guest, f.direct))} |`,
      );
    }
  }
  lines.push('', '| batch | cpu / wasm, tfjs direct | cpu / wasm, guest via wacs |', '|---|---|---|');
  for (const { rows } of BATCHES) {
    const [wasm, cpu] = [figures.wasm[rows], figures.cpu[rows]];
    lines.push(`| ${rows} | ${ratio(cpu.direct, wasm.direct)} | ${ratio(cpu.guest, wasm.guest)} |`);
  }
  lines.push('');
  const markdown = lines.join('\n');
  console.log(markdown);
  writeFileSync(new URL('./results.md', import.meta.url), `${markdown}\n`);
}

if (process.argv[2] === '--in-process') await inProcess(process.argv[3], process.argv[4]);
else await main();
