// Benchmark of the generation loop (not a test): per-token time of the backend's KV-cache loop
// against the sum of the onnxruntime `run` calls it makes (the loop's own overhead), against a
// minimal loop calling onnxruntime directly in this same run, and per-token time at positions 16,
// 64 and 256. Writes bench/results.md.
//
//   node bench/run.mjs            (build first: npm run build)
import { writeTinyGenaiFolder, writeTinyHybridGenaiFolder, sharedModel } from '@wacs/fixtures';
import ort from 'onnxruntime-node';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { argmaxLastLogits, genaiBackend, generate } from '../dist/index.js';

const POSITIONS = [16, 64, 256];
const WINDOW = 8; // steps from each position whose median is reported
const REPEATS = 7;
const PROMPT_LENGTH = 4;
const GENERATED = 264; // reaches position 4 + 264 = 268 > 256 + WINDOW

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function load(path) {
  return genaiBackend.load({ source: { kind: 'path', path }, encoding: 'onnx', target: 'cpu', options: { threads: 1 } });
}

/**
 * One greedy generation through the backend: for each decode step, its wall time and the time
 * inside its ORT `run` call.
 */
async function backendRun(graph, prompt) {
  const { model } = graph;
  const steps = [];
  const runs = [];
  const tokens = [];
  let last;
  let lastRunMs;
  for await (const token of generate(model, prompt, { ...graph.settings, doSample: false, maxLength: prompt.length + GENERATED, minLength: 0 })) {
    const now = performance.now();
    // The first token comes from the prefill; decode steps are measured from it on.
    if (last !== undefined) {
      steps.push(now - last);
      runs.push(model.stats.runMs - lastRunMs);
    }
    tokens.push(token);
    last = now;
    lastRunMs = model.stats.runMs;
  }
  return { steps, runs, tokens };
}

/** The same greedy loop written directly on onnxruntime, with as little around `run` as possible. */
async function directRun(graph, prompt) {
  const { model, config } = graph;
  const session = model.session;
  const io = config.decoder.inputs;
  const { idType, maskType, positionType } = model;
  const int = (type, values) => (type === 'int64' ? BigInt64Array.from(values, BigInt) : Int32Array.from(values));
  // Every carried tensor (KV cache, conv and recurrent states) by name, from the model's state plan.
  const cacheNames = model.states.slots.map((slot) => [slot.present, slot.past]);
  let past = await model.emptyCache();
  const mask = int(maskType, new Array(prompt.length + GENERATED).fill(1));
  let ids = prompt;
  let position = 0;
  const steps = [];
  const tokens = [];
  let last;
  const vocab = config.vocabSize;
  for (let n = 0; n < GENERATED; n++) {
    const total = position + ids.length;
    const feeds = { ...past };
    feeds[io.inputIds] = new ort.Tensor(idType, int(idType, ids), [1, ids.length]);
    feeds[io.positionIds] = new ort.Tensor(positionType, int(positionType, ids.map((_, i) => position + i)), [1, ids.length]);
    feeds[io.attentionMask] = new ort.Tensor(maskType, mask.subarray(0, total), [1, total]);
    const out = await session.run(feeds);
    const previous = past;
    past = {};
    for (const constant of model.states.constants) past[constant.name] = previous[constant.name];
    for (const [present, pastName] of cacheNames) past[pastName] = out[present];
    const best = argmaxLastLogits(out[config.decoder.outputs.logits], vocab);
    tokens.push(best);
    position = total;
    ids = [best];
    const now = performance.now();
    if (last !== undefined) steps.push(now - last);
    last = now;
  }
  return { steps, tokens };
}

/** Median step time around each position; steps[i] fed the token at position PROMPT_LENGTH + 1 + i. */
function atPositions(steps) {
  return POSITIONS.map((p) => median(steps.slice(p - PROMPT_LENGTH - 1, p - PROMPT_LENGTH - 1 + WINDOW)));
}

async function benchModel(label, path, prompt) {
  const graph = await load(path);
  // Warm-up, and a check that both loops choose the same tokens.
  const check = await backendRun(graph, prompt);
  const directCheck = await directRun(graph, prompt);
  if (check.tokens.length !== GENERATED) throw new Error(`${label}: generation stopped early (EOS after ${check.tokens.length} tokens)`);
  if (check.tokens.join() !== directCheck.tokens.join()) throw new Error(`${label}: the direct loop chose different tokens`);
  const perToken = [];
  const overhead = [];
  const direct = [];
  const positions = POSITIONS.map(() => []);
  const directPositions = POSITIONS.map(() => []);
  for (let r = 0; r < REPEATS; r++) {
    const b = await backendRun(graph, prompt);
    perToken.push(median(b.steps));
    // Per step: wall time minus time inside run (medians, so a stall of the shared machine in
    // one step does not count as loop overhead).
    overhead.push(median(b.steps.map((t, i) => t - b.runs[i])) / median(b.runs));
    atPositions(b.steps).forEach((t, i) => positions[i].push(t));
    const d = await directRun(graph, prompt);
    direct.push(median(d.steps));
    atPositions(d.steps).forEach((t, i) => directPositions[i].push(t));
  }
  await graph.dispose();
  const pt = median(perToken);
  const dt = median(direct);
  return { label, perToken: pt, overhead: median(overhead), direct: dt, ratio: pt / dt, positions: positions.map(median), directPositions: directPositions.map(median) };
}

const dir = await mkdtemp(join(tmpdir(), 'wacs-genai-bench-'));
const models = [
  ['tiny fixture (2 layers, hidden 16, vocab 35, fp32)', await writeTinyGenaiFolder(join(dir, 'fp32'), { contextLength: 512 }), [1, 3, 5, 8]],
  ['tiny fixture, fp16 KV + logits, combined past_%d', await writeTinyGenaiFolder(join(dir, 'fp16'), { contextLength: 512, floatType: 'float16', combinedKv: true }), [1, 3, 5, 8]],
  ['tiny lfm2 hybrid (conv, conv, attention, conv; conv state + KV), fp32', await writeTinyHybridGenaiFolder(join(dir, 'lfm2'), { layerTypes: ['conv', 'conv', 'full_attention', 'conv'] }), [1, 3, 5, 8]],
  ['tiny qwen3_5-style hybrid (linear, linear, attention; conv + recurrent state + KV), fp16', await writeTinyHybridGenaiFolder(join(dir, 'qwen35'), { layerTypes: ['linear_attention', 'linear_attention', 'full_attention'], floatType: 'float16', seed: 5 }), [1, 3, 5, 8]],
];
const gpt2 = sharedModel('genai/tiny-random-gpt2-fp32');
if (gpt2) models.push(['shared tiny-random-gpt2-fp32 (5 layers, vocab 1000)', gpt2, [0, 0, 0, 52]]);
const llama = sharedModel('genai/tiny-random-LlamaForCausalLM-fp16');
if (llama) models.push(['shared tiny-random-LlamaForCausalLM-fp16 (vocab 32000, fp16)', llama, [0, 0, 0, 52]]);

const rows = [];
for (const [label, path, prompt] of models) {
  const r = await benchModel(label, path, prompt);
  rows.push(r);
  console.error(`${label}: ${r.perToken.toFixed(3)} ms/token, overhead ${(r.overhead * 100).toFixed(1)}%`);
}

const ms = (x) => `${(x * 1000).toFixed(0)} µs`;
const last = POSITIONS.length - 1;
const lines = [
  '## @wacs/backend-genai: generation loop',
  '',
  `Greedy, prompt of ${PROMPT_LENGTH} tokens, ${GENERATED} generated, 1 ORT thread; medians over ${REPEATS} runs after a warm-up run ` +
    `(which also checks that both loops choose the same tokens). Node ${process.version}, onnxruntime-node 1.30.0, ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores, shared with other work).`,
  '',
  '- **per token**: median wall time of one decode step (one ORT `run`, the cache hand-over, choosing the token).',
  '- **loop overhead**: median over decode steps of (step time − time inside its ORT `run` call), divided by the median `run` time: what the TypeScript loop adds (feeds, cache hand-over, choosing the token).',
  '- **direct ORT**: a minimal greedy loop written on onnxruntime-node in the benchmark itself (it picks tokens with the backend\'s argmax kernel, so the ratio measures the loop machinery); **ratio** = per token / direct.',
  '',
  '| model | per token | loop overhead | direct ORT | ratio |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.label} | ${ms(r.perToken)} | ${(r.overhead * 100).toFixed(1)}% | ${ms(r.direct)} | ${r.ratio.toFixed(2)}× |`),
  '',
  `Per-token time by position (median of the ${WINDOW} steps from each position), backend loop / direct ORT loop:`,
  '',
  `| model | ${POSITIONS.map((p) => `pos ${p}`).join(' | ')} | ${POSITIONS[last]} / ${POSITIONS[0]} |`,
  `|---|${POSITIONS.map(() => '---|').join('')}---|`,
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.positions.map((t, i) => `${ms(t)} / ${ms(r.directPositions[i])}`).join(' | ')} | ${(r.positions[last] / r.positions[0]).toFixed(2)} / ${(r.directPositions[last] / r.directPositions[0]).toFixed(2)} |`,
  ),
  '',
];
const markdown = lines.join('\n');
console.log(markdown);
await writeFile(new URL('./results.md', import.meta.url), markdown);
