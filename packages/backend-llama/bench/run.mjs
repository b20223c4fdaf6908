// Benchmark (not a test): tokens per second of 256 greedy tokens of stories260K through the real
// `wacs run` with the llm-chat component guest, against node-llama-cpp called directly in this
// process, same model, same settings, one thread each, in the same run; and the peak RSS of the
// `wacs run` process against the model's size. Writes bench/results.md.
//
//   node bench/run.mjs      (build first: npm run build here, and cd guests && node build.mjs llm-chat)
import { guest, repoRoot, sharedModel, wacsBin } from '@wacs/fixtures';
import { getLlama, LlamaCompletion } from 'node-llama-cpp';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const TOKENS = 256;
const PROMPT = 'Once upon a time';
const GENERATIONS = 64; // guest and direct take turns, one generation each
const CONTEXT = 512;
const resultsPath = new URL('./results.md', import.meta.url);

import { differences, fmt, provenance, ratios as ratiosOf } from '../../../scripts/bench-lib.mjs';
const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);

function finish(markdown) {
  console.log(markdown);
  writeFileSync(resultsPath, `${markdown}\n`);
}

const model = sharedModel('gguf/stories260K.gguf');
if (!model) {
  finish('## backend-llama benchmark\n\nSkipped: it needs ../shared/models/gguf/stories260K.gguf, which this checkout does not have.');
  process.exit(0);
}

/** node-llama-cpp directly: one plain greedy completion, timed around the call. */
async function directGeneration(completion) {
  let tokens = 0;
  let text = '';
  const started = performance.now();
  await completion.generateCompletion(PROMPT, {
    temperature: 0,
    repeatPenalty: false,
    maxTokens: TOKENS,
    onToken: (t) => (tokens += t.length),
    onTextChunk: (chunk) => (text += chunk),
  });
  const ms = performance.now() - started;
  if (tokens !== TOKENS) throw new Error(`direct run made ${tokens} tokens, not ${TOKENS}`);
  return { rate: (tokens / ms) * 1000, text };
}

/**
 * One \`wacs run\` of the llm-chat REPL, the guest and node-llama-cpp taking turns: a prompt to the
 * guest, then (once it has printed its whole answer and its stats) one direct generation here, and so on,
 * so both see the same machine load. The guest times each of its computes (its \`[stats]\` lines);
 * the process's peak RSS (VmHWM, which only grows) is sampled while it runs.
 */
async function takeTurns(completion) {
  await directGeneration(completion); // warm-up
  const args = [
    wacsBin, 'run', guest('llm-chat'), '--bind', '@wacs/backend-llama', '--model', `stories=${model},threads=1,ctx-size=${CONTEXT}`,
    '--', '--model', 'stories', '--raw', '--stats', '--set', 'temp=0', '--set', 'repeat-penalty=1', '--set', `n-predict=${TOKENS}`,
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  let waiting;
  child.stdout.on('data', (chunk) => {
    stdout += chunk.toString();
    waiting?.();
  });
  let exited = false;
  const closed = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      exited = true;
      waiting?.();
      resolve(code);
    });
  });
  let peakRss = 0;
  const sampler = setInterval(() => {
    try {
      peakRss = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) * 1024;
    } catch {
      // The process has just exited.
    }
  }, 20);
  // The guest's [stats] line ends each answer. (Not its text: greedy decoding on a toy model may part
  // from node-llama-cpp's after a few hundred tokens, where two logits nearly tie.)
  const answered = () => stdout.split('[stats]').length - 1;
  const direct = [];
  for (let i = 0; i < GENERATIONS; i++) {
    child.stdin.write(`${PROMPT}\n`);
    while (answered() <= i) {
      if (exited) throw new Error(`wacs run exited with ${await closed} after ${i} answers (its stderr is above)`);
      await new Promise((resolve) => (waiting = resolve));
    }
    direct.push((await directGeneration(completion)).rate);
  }
  child.stdin.end('/bye\n');
  const code = await closed;
  clearInterval(sampler);
  const stats = [...stdout.matchAll(/\[stats\] input_tokens=\d+ output_tokens=(\d+) ms=([\d.]+)/g)];
  if (code !== 0 || stats.length !== GENERATIONS) throw new Error(`wacs run exited with ${code} after ${stats.length} answers`);
  if (stats.some(([, tokens]) => Number(tokens) !== TOKENS)) throw new Error(`the guest did not make ${TOKENS} tokens each time`);
  return { guest: stats.map(([, tokens, ms]) => (Number(tokens) / Number(ms)) * 1000), direct, peakRss };
}

const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: 'error' });
const llamaModel = await llama.loadModel({ modelPath: model, gpuLayers: 0 });
const context = await llamaModel.createContext({ contextSize: CONTEXT, threads: 1, sequences: 1 });
const { guest: guestRates, direct, peakRss } = await takeTurns(new LlamaCompletion({ contextSequence: context.getSequence() }));
await context.dispose();
await llamaModel.dispose();

const ratios = ratiosOf(guestRates, direct);
const addedUsPerToken = differences(guestRates.map((r) => 1e6 / r), direct.map((r) => 1e6 / r));
const modelSize = statSync(model).size;
finish(`## backend-llama benchmark

\`node packages/backend-llama/bench/run.mjs\`. ${provenance()}
stories260K (${mib(modelSize)} MiB, F32), "${PROMPT}", ${TOKENS} greedy tokens, context ${CONTEXT}, threads 1; ${GENERATIONS}
generations each way, the guest and node-llama-cpp taking turns in the same run; medians.
${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end.
The guest times each compute itself (a wasi:nn compute through the bridge: options, tokenizing,
generation, the host printing each token with stream-stdout); node-llama-cpp direct is timed around
\`generateCompletion\` in the benchmark process.

| path | tokens/s | vs direct |
|---|---:|---:|
| node-llama-cpp direct (LlamaCompletion) | ${fmt(direct, 0)} | 1.000 |
| \`wacs run\` llm-chat guest (component, stream-stdout) | ${fmt(guestRates, 0)} | ${fmt(ratios, 3)} |

Medians with p25–p75. Turn by turn, guest/direct ranges ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}; µs added per token (guest − direct, per turn): ${fmt(addedUsPerToken, 1)} (goal ≥ 0.98 of direct).

Peak RSS of \`wacs run\` (VmHWM, Linux): ${mib(peakRss)} MiB for a ${mib(modelSize)} MiB model. With a model this small the
fixed cost dominates: Node, the worker running the guest's JavaScript engine (a ~12 MiB component), and
llama.cpp's buffers; the model itself is memory-mapped, so a large model adds about its size.
`);
