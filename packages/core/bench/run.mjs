// Benchmark (not a test): token streaming through the preview1 witx ABI (compute_single +
// get_output_single per token) in a real `wacs run` of the llama-stream guest, against
// node-llama-cpp called directly in this process: stories260K, 256 greedy tokens, context 512,
// one thread each, same run; plus the same guest making one compute per generation. Writes
// bench/results.md.
//
//   node packages/core/bench/run.mjs   (build core and packages/backend-llama first)
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot, sharedModel, wacsBin } from '../../fixtures/dist/index.js';
import { fmt, provenance, stats } from '../../../scripts/bench-lib.mjs';

const TOKENS = 256;
const PROMPT = 'Once upon a time';
const ROUNDS = 7; // each round: a batch of direct generations and one wacs process per guest path, the order rotating
const PER_ROUND = 8; // timed generations per direct batch and per wacs process
const WARMUP = 12; // generations first made and not timed, in this process and in each wacs process (JIT, caches)
const CONTEXT = 512;
const resultsPath = new URL('./results.md', import.meta.url);
const llamaBackend = join(repoRoot, 'packages/backend-llama');


function finish(markdown) {
  console.log(markdown);
  writeFileSync(resultsPath, `${markdown}\n`);
}

const model = sharedModel('gguf/stories260K.gguf');
if (!model || !existsSync(join(llamaBackend, 'dist/index.js'))) {
  finish('## preview1 token streaming benchmark\n\nSkipped: it needs ../shared/models/gguf/stories260K.gguf and a built packages/backend-llama.');
  process.exit(0);
}
// node-llama-cpp is backend-llama's dependency, not core's.
const { getLlama, LlamaCompletion } = await import(createRequire(join(llamaBackend, 'package.json')).resolve('node-llama-cpp'));

/** node-llama-cpp directly: greedy completions on one context, timed around each call. */
async function directBatch(llamaModel, count) {
  const context = await llamaModel.createContext({ contextSize: CONTEXT, threads: 1, sequences: 1 });
  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
  const rates = [];
  for (let i = 0; i < count; i++) {
    let tokens = 0;
    let text = '';
    const started = performance.now();
    await completion.generateCompletion(PROMPT, {
      temperature: 0,
      repeatPenalty: false,
      maxTokens: TOKENS,
      onToken: (t) => (tokens += t.length),
      onTextChunk: (chunk) => (text += chunk), // streamed, as the guest gets it
    });
    const ms = performance.now() - started;
    if (tokens !== TOKENS) throw new Error(`direct run made ${tokens} tokens, not ${TOKENS}`);
    rates.push((tokens / ms) * 1000);
  }
  await context.dispose();
  return rates;
}

/**
 * One `wacs run` of llama-stream generating WARMUP + PER_ROUND times on one context; the guest times
 * each generation itself (first compute_single to end_of_sequence, or the one compute with
 * stream=0) and reports output_tokens.
 */
function guestBatch(stream) {
  return new Promise((resolve, reject) => {
    const env = { n_predict: TOKENS, temp: 0, repeat_penalty: 1, threads: 1, ctx_size: CONTEXT, report: 1, repeat: WARMUP + PER_ROUND, stream: Number(stream) };
    const args = [wacsBin, 'run', '--bind', llamaBackend, '--nn-preload', `default:GGML:CPU:${model}`];
    for (const [key, value] of Object.entries(env)) args.push('--env', `${key}=${value}`);
    args.push(join(repoRoot, 'guests/preview1/bin/llama-stream.wasm'), 'default', PROMPT);
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const runs = [...stderr.matchAll(/^tokens: \d+ in (\d+) us; metadata: (.*)$/gm)]
        .map((m) => ({ us: Number(m[1]), tokens: JSON.parse(m[2]).output_tokens }))
        .slice(WARMUP);
      if (code !== 0 || runs.length !== PER_ROUND) reject(new Error(`wacs run exited with ${code}: ${stderr}`));
      else if (runs.some((r) => r.tokens !== TOKENS)) reject(new Error(`the guest made ${runs.map((r) => r.tokens)} tokens, not ${TOKENS}`));
      else resolve(runs.map((r) => (r.tokens / r.us) * 1e6));
    });
  });
}

const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
const llamaModel = await llama.loadModel({ modelPath: model, gpuLayers: 0 });
await directBatch(llamaModel, WARMUP);
// Per round, each path's median rate; the paths take turns in a rotating order.
const paths = { direct: () => directBatch(llamaModel, PER_ROUND), streamed: () => guestBatch(true), computed: () => guestBatch(false) };
const perRound = { direct: [], streamed: [], computed: [] };
const names = Object.keys(paths);
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length];
    perRound[name].push(stats(await paths[name]()).median);
  }
}
await llamaModel.dispose();

const { direct } = perRound;
const row = (name, rates) => {
  const ratio = rates.map((r, i) => r / direct[i]);
  const addedUs = rates.map((r, i) => 1e6 / r - 1e6 / direct[i]);
  return `| ${name} | ${fmt(rates, 0)} | ${fmt(ratio, 3)} | ${fmt(addedUs, 1)} |`;
};
finish(`## preview1 token streaming benchmark

\`node packages/core/bench/run.mjs\`. ${provenance()}
stories260K (${(statSync(model).size / 2 ** 20).toFixed(1)} MiB, F32), "${PROMPT}", ${TOKENS} greedy tokens, context ${CONTEXT}, threads 1,
${ROUNDS} rounds (the paths taking turns, order rotating), each path's median of ${PER_ROUND} timed generations per round after ${WARMUP} untimed ones per process;
figures are the median over rounds with p25–p75, ratios and µs added per token taken within each round.
The guest (guests/preview1/llama-stream.wasm, a wasm32-wasi core module run by \`wacs run\`) times each generation
itself: from its first \`compute_single\` to \`end_of_sequence\`, one \`compute_single\` + \`get_output_single\` per
token and each token written to stdout; or, with stream=0, one \`compute\` + \`get_output\`. node-llama-cpp direct
is timed around \`generateCompletion\` (text streamed by \`onTextChunk\`) in the benchmark process.

| path | tokens/s | vs direct | µs added per token |
|---|---:|---:|---:|
| node-llama-cpp direct (LlamaCompletion) | ${fmt(direct, 0)} | 1.000 | |
${row('preview1 guest, token streaming: compute_single / get_output_single (goal ≥ 0.98, ≤ 10 µs added)', perRound.streamed)}
${row('preview1 guest, one compute / get_output', perRound.computed)}
`);
