// wacs serve benchmarks (issue 17), on loopback, each against the engine called directly in the
// same run, rounds interleaved so machine load hits every variant alike:
//   1. OIP infer (mnist from ../shared, else a 1x3 linear model made here), autocannon with 8
//      connections: wacs serve + oip-server (fresh instance per request, and --reuse-instances)
//      against a plain Node http server speaking the same protocol with onnxruntime-node directly;
//   2. 8 concurrent streamed chats on one GGUF model (stories260K from ../shared, else a tiny random
//      one made here, 48 and 400 tokens each; and a 25M-parameter random llama made here, the
//      per-token compute of a small real model, 48 tokens each): aggregate tokens/s and time to
//      first token through openai-server (the openai client; the server's cold first batch, then
//      steady-state batches after untimed warm-up ones)
//      and through backend-llama alone, against node-llama-cpp with 8 sequences of one context in
//      this process, batches of the three interleaved;
//   3. per-request guest start: sequential requests with one instance and no spare, fresh minus
//      reused, i.e. what instantiating a fresh guest instance in a warm worker costs.
//   node packages/cli/bench/serve.mjs [seconds per autocannon run, default 5] [oip] [chats] [start]
//   (naming sections runs only those)   writes bench/serve-results.md
import onnx from '@wacs/backend-onnx';
import llamaBackend from '@wacs/backend-llama';
import { BackendRegistry, ModelRegistry, NnHost, startServer } from '@wacs/core';
import { guest, linearModel, sharedModel, tinyLlamaGguf } from '@wacs/fixtures';
import autocannon from 'autocannon';
import { getLlama, LlamaChatSession } from 'node-llama-cpp';
import ort from 'onnxruntime-node';
import OpenAI from 'openai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const seconds = Number(process.argv[2] ?? 5);
const sections = process.argv.slice(3);
const want = (section) => sections.length === 0 || sections.includes(section);
const CONNECTIONS = 8;
const CHATS = 8;
// backend-llama's default (half the math cores): llama.cpp's threads spin, and the guests and the
// HTTP side need a core too. Both sides get the same count.
const THREADS = Math.max(1, Math.floor(cpus().length / 2));
const ROUNDS = 2;
const dir = mkdtempSync(join(tmpdir(), 'wacs-serve-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quiet = { log: () => {} };
const load = loadavg()[0];
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {}

// 1. OIP infer ------------------------------------------------------------------------------------
const mnist = sharedModel('onnx/mnist.onnx');
let oipCase;
if (mnist) {
  const pixels = Array.from({ length: 784 }, (_, i) => ((i * 37) % 255) / 255);
  oipCase = { name: 'mnist', path: mnist, input: { name: 'Input3', shape: [1, 1, 28, 28], datatype: 'FP32', data: pixels } };
} else {
  const linear = join(dir, 'linear.onnx');
  writeFileSync(linear, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
  oipCase = { name: 'linear 1x3', path: linear, input: { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 1, 1] } };
}
const oipBody = JSON.stringify({ inputs: [oipCase.input] });

/** The Open Inference Protocol's infer route, served by onnxruntime-node directly. */
async function directOip(path) {
  const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      const feeds = Object.fromEntries(body.inputs.map((i) => [i.name, new ort.Tensor('float32', Float32Array.from(i.data), i.shape)]));
      const results = await session.run(feeds);
      const outputs = session.outputNames.map((n) => ({ name: n, shape: results[n].dims, datatype: 'FP32', data: Array.from(results[n].data) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ model_name: 'm', outputs }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: async () => { server.close(); await session.release(); } };
}

async function wacsOip(path, reuseInstances) {
  const backends = new BackendRegistry();
  backends.register(onnx);
  const models = new ModelRegistry();
  models.add('m', { path });
  const server = await startServer(new Uint8Array(readFileSync(guest('oip-server'))), new NnHost(backends, models, quiet), {
    port: 0, log: 'off', instances: CONNECTIONS, queue: 1024, reuseInstances,
  });
  return { url: server.url, close: () => server.close() };
}

async function hammer(url) {
  const result = await autocannon({ url: `${url}/v2/models/m/infer`, method: 'POST', body: oipBody, connections: CONNECTIONS, duration: seconds, timeout: 60, headers: { 'content-type': 'application/json' } });
  if (result.non2xx || result.errors || result.timeouts) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const oip = { direct: [], reused: [], fresh: [] };
for (let round = 0; round < (want('oip') ? ROUNDS : 0); round++) {
  for (const [variant, start] of [['direct', () => directOip(oipCase.path)], ['fresh', () => wacsOip(oipCase.path, false)], ['reused', () => wacsOip(oipCase.path, true)]]) {
    const server = await start();
    await hammer(server.url); // warm-up, not counted
    oip[variant].push(await hammer(server.url));
    await server.close();
  }
}

// 2. Concurrent streamed chats -------------------------------------------------------------------
const sharedGguf = sharedModel('gguf/stories260K.gguf');
const toyGguf = sharedGguf ?? join(dir, 'tiny.gguf');
if (!sharedGguf) writeFileSync(toyGguf, tinyLlamaGguf());
// The per-token cost of serving shows against the model's own: stories260K generates thousands of
// tokens a second here, a real chat model tens. A llama of random weights with 25M parameters
// (about 100 MB, made here) stands for the small end of real models.
const sizedGguf = join(dir, 'llama-25m.gguf');
const toyName = sharedGguf ? 'stories260K' : 'a tiny random GGUF (../shared absent)';
// Short chats show per-request costs (time to first token dominates); long ones the per-token path.
const CHAT_CASES = [
  { gguf: toyGguf, name: toyName, maxTokens: 48 },
  { gguf: toyGguf, name: toyName, maxTokens: 400 },
  { gguf: sizedGguf, name: 'a 25M-parameter llama (random weights)', maxTokens: 48, make: () => writeFileSync(sizedGguf, tinyLlamaGguf({ embeddingLength: 512, blocks: 8, heads: 8, headsKv: 4, feedForwardLength: 1536, contextLength: 2048 })) },
];
const CONTEXT = 1024;
const prompts = Array.from({ length: CHATS }, (_, i) => `Tell me story number ${i + 1}.`);

/**
 * One batch: a chat per prompt, all at once; `chat(prompt, onToken)` streams one and resolves with
 * its generated token count. Aggregate tokens/s over the batch's wall time, median time to first token.
 */
async function timedBatch(chat) {
  const started = performance.now();
  const firsts = [];
  let tokens = 0;
  await Promise.all(
    prompts.map(async (prompt) => {
      let first;
      const generated = await chat(prompt, () => (first ??= performance.now() - started));
      tokens += generated;
      firsts.push(first);
    }),
  );
  return { tokensPerSecond: tokens / ((performance.now() - started) / 1000), ttft: median(firsts), tokens };
}

/** node-llama-cpp directly: one context with a sequence per chat; each chat's sequence is freed after it. */
function directChat(context, maxTokens) {
  return async (prompt, onToken) => {
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    session.setChatHistory([]); // the messages alone, as openai-server sends them (no default system prompt)
    let tokens = 0;
    await session.prompt(prompt, { maxTokens, temperature: 0, onToken: (t) => ((tokens += t.length), onToken()) });
    session.dispose({ disposeSequence: true });
    return tokens;
  };
}

/**
 * backend-llama alone, no server or guest: an execution context per chat, streaming its `messages`
 * through the graph's shared llama context (what openai-server asks of it), to tell the backend's
 * share of the gap from the server's.
 */
function backendChat(graph, maxTokens) {
  const text = (s) => {
    const data = new TextEncoder().encode(s);
    return { type: 'U8', dimensions: [data.length], data };
  };
  const options = JSON.stringify({ temp: 0, 'top-k': 0, 'top-p': 1, 'min-p': 0, 'repeat-penalty': 1, 'n-predict': maxTokens });
  return async (prompt, onToken) => {
    const context = graph.createContext();
    const steps = context.stream([
      { name: 'messages', tensor: text(JSON.stringify([{ role: 'user', content: prompt }])) },
      { name: 'metadata', tensor: text(options) },
    ]);
    let step = await steps.next();
    for (; !step.done; step = await steps.next()) onToken();
    await context.dispose();
    // The stream's last value is the outputs a compute gives, with the usage.
    const usage = step.value.find((output) => output.name === 'metadata');
    return JSON.parse(new TextDecoder().decode(usage.tensor.data)).output_tokens;
  };
}

/** Through wacs serve and openai-server, with the official client. */
function guestChat(client, maxTokens) {
  return async (prompt, onToken) => {
    const stream = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let tokens = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) onToken();
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
    return tokens;
  };
}

// Untimed batches on every path before the timed rounds: V8 compiles JavaScript in tiers (the
// server's in each of its worker threads), so a server's first batches measure its warm-up; over
// 48-token chats the server took about 430 ms a batch at its second batch and 300 from its seventh.
const CHAT_WARM_BATCHES = 6;
const CHAT_ROUNDS = 5;

/** Every path set up at once, their batches interleaved round by round (the machine's drift hits each alike). */
async function chatRounds({ gguf: ggufPath, name, maxTokens, make }) {
  make?.();
  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath: ggufPath, gpuLayers: 0 });
  // contextSize is per sequence in node-llama-cpp: the same room as each guest chat gets.
  const context = await model.createContext({ contextSize: CONTEXT, sequences: CHATS, threads: THREADS });
  const graph = await llamaBackend.load({ source: { kind: 'path', path: ggufPath }, encoding: 'ggml', target: 'cpu', options: { threads: THREADS, 'ctx-size': CONTEXT }, concurrency: CHATS });
  const backends = new BackendRegistry();
  backends.register(llamaBackend);
  const models = new ModelRegistry();
  models.add('chat', { path: ggufPath, target: 'cpu', options: { threads: THREADS, 'ctx-size': CONTEXT } });
  // concurrency: what wacs serve passes from --instances, so the model's shared context has a sequence per chat.
  const host = new NnHost(backends, models, { ...quiet, concurrency: CHATS });
  const server = await startServer(new Uint8Array(readFileSync(guest('openai-server'))), host, { port: 0, log: 'off', instances: CHATS, env: { OPENAI_MODELS: 'chat' } });
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const paths = { direct: directChat(context, maxTokens), backend: backendChat(graph, maxTokens), guest: guestChat(client, maxTokens) };
  try {
    // The server's first batch meets workers that have not served a request yet.
    const cold = await timedBatch(paths.guest);
    for (let i = 0; i < CHAT_WARM_BATCHES; i++) for (const chat of Object.values(paths)) await timedBatch(chat);
    const rounds = [];
    for (let round = 0; round < CHAT_ROUNDS; round++) {
      rounds.push({ direct: await timedBatch(paths.direct), backend: await timedBatch(paths.backend), warm: await timedBatch(paths.guest) });
    }
    return { name, maxTokens, cold, rounds };
  } finally {
    await server.close();
    await host.dispose();
    await graph.dispose();
    await context.dispose();
    await model.dispose();
  }
}

const chatRuns = [];
for (const chatCase of want('chats') ? CHAT_CASES : []) chatRuns.push(await chatRounds(chatCase));

// 3. Per-request guest start ---------------------------------------------------------------------
async function sequentialMs(reuseInstances, count = 30) {
  const server = await startServer(new Uint8Array(readFileSync(guest('serve-probe'))), new NnHost(undefined, undefined, quiet), {
    port: 0, log: 'off', instances: 1, spares: 0, reuseInstances,
  });
  try {
    await (await fetch(`${server.url}/hello`)).text();
    const started = performance.now();
    for (let i = 0; i < count; i++) await (await fetch(`${server.url}/hello`)).text();
    return (performance.now() - started) / count;
  } finally {
    await server.close();
  }
}
const starts = { fresh: [], reused: [] };
for (let round = 0; round < (want('start') ? 3 : 0); round++) {
  starts.fresh.push(await sequentialMs(false));
  starts.reused.push(await sequentialMs(true));
}

// Report -----------------------------------------------------------------------------------------
const pick = (rows, key) => median(rows.map((r) => r[key]));
const lines = [
  '## wacs serve (issue 17)',
  '',
  `\`node packages/cli/bench/serve.mjs ${[seconds, ...sections].join(' ')}\` on ${new Date().toISOString().slice(0, 10)}, commit ${commit}; load average at the start: ${load.toFixed(1)} on ${cpus().length} cores (**noisy**: other work shares this machine; ratios are within one run). OIP and start: medians of ${ROUNDS} interleaved rounds; chats as said below.`,
];
if (want('oip')) {
  lines.push(
    '',
    `### OIP infer: ${oipCase.name}, autocannon ${CONNECTIONS} connections, ${seconds} s per run`,
    '',
    'wacs serve + guests/oip-server (TypeScript in StarlingMonkey: parses the JSON, computes through wasi:nn, writes JSON) against a plain Node http server speaking the same protocol with onnxruntime-node. Goal: throughput >= 0.8x direct, p99 <= 1.5x direct.',
    '',
    '| variant | req/s | p50 ms | p99 ms | req/s vs direct | p99 vs direct |',
    '|---|---|---|---|---|---|',
  );
}
for (const variant of want('oip') ? ['direct', 'fresh', 'reused'] : []) {
  const rps = pick(oip[variant], 'rps');
  const p99 = pick(oip[variant], 'p99');
  const label = { direct: 'direct (node http + onnxruntime-node)', fresh: 'wacs serve, fresh instance per request (default)', reused: 'wacs serve --reuse-instances' }[variant];
  lines.push(`| ${label} | ${rps.toFixed(0)} | ${pick(oip[variant], 'p50')} | ${p99} | ${variant === 'direct' ? '' : `${(rps / pick(oip.direct, 'rps')).toFixed(2)}x`} | ${variant === 'direct' ? '' : `${(p99 / pick(oip.direct, 'p99')).toFixed(2)}x`} |`);
}
for (const { name, maxTokens, cold, rounds } of chatRuns) {
  const of = (variant, key) => median(rounds.map((r) => r[variant][key]));
  const dTps = of('direct', 'tokensPerSecond');
  // Per round, against that round's direct batch: the ratio, and the wall time added per token (aggregate).
  const ratios = (variant) => rounds.map((r) => r[variant].tokensPerSecond / r.direct.tokensPerSecond);
  const addedUs = (variant) => median(rounds.map((r) => 1e6 / r[variant].tokensPerSecond - 1e6 / r.direct.tokensPerSecond));
  const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  const row = (label, variant) =>
    `| ${label} | ${of(variant, 'tokensPerSecond').toFixed(0)} | **${median(ratios(variant)).toFixed(2)}x** (${spread(ratios(variant))}) | ${addedUs(variant).toFixed(0)} | ${of(variant, 'ttft').toFixed(0)} |`;
  lines.push(
    '',
    `### ${CHATS} concurrent streamed chats, ${name}, ${maxTokens} tokens each, ${THREADS} threads`,
    '',
    `Through guests/openai-server (the openai client, \`stream: true\`; the model's shared llama context with a sequence per instance) against node-llama-cpp in this process with one context of ${CHATS} sequences. All paths are set up at once; after ${CHAT_WARM_BATCHES} untimed batches each, ${CHAT_ROUNDS} rounds of one batch per path, interleaved: medians, each ratio against its own round's direct batch (spread in brackets). "µs added" is the aggregate wall time per token beyond direct's. Goal: aggregate tokens/s >= 0.9x direct.`,
    '',
    '| variant | tokens/s (all chats) | vs direct | µs added per token | time to first token, median ms |',
    '|---|---|---|---|---|',
    `| direct (node-llama-cpp, ${CHATS} sequences) | ${dTps.toFixed(0)} | | | ${of('direct', 'ttft').toFixed(0)} |`,
    row(`backend-llama alone (${CHATS} execution contexts streaming, no server or guest)`, 'backend'),
    row(`wacs serve + openai-server (steady state)`, 'warm'),
    `| wacs serve + openai-server, its first batch (cold workers; one batch, against the median direct) | ${cold.tokensPerSecond.toFixed(0)} | ${(cold.tokensPerSecond / dTps).toFixed(2)}x | ${(1e6 / cold.tokensPerSecond - 1e6 / dTps).toFixed(0)} | ${cold.ttft.toFixed(0)} |`,
    '',
    `Tokens per batch: ${rounds[0].direct.tokens} direct, ${rounds[0].warm.tokens} through the server.`,
  );
}
if (want('start')) lines.push(
  '',
  '### Per-request guest start',
  '',
  'serve-probe GET /hello, one instance, no spare, 30 sequential requests, median of 3 rounds: with a fresh instance per request each request waits for the previous one\'s replacement, so fresh minus reused is the cost of a fresh instance in a warm worker (a StarlingMonkey component, about 12 MiB: its finished instance put back as it began, or where that cannot be done, instantiated anew) and of the request\'s own first run on it.',
  '',
  '| | per request |',
  '|---|---|',
  `| reused instance | ${(median(starts.reused) * 1000).toFixed(0)} µs |`,
  `| fresh instance | ${(median(starts.fresh) * 1000).toFixed(0)} µs |`,
  `| fresh-instance start (difference) | **${((median(starts.fresh) - median(starts.reused)) * 1000).toFixed(0)} µs** |`,
  '',
);
const markdown = lines.join('\n');
console.log(markdown);
writeFileSync(new URL('./serve-results.md', import.meta.url), `${markdown}\n`);
process.exit(0); // node-llama-cpp's native threads would keep the process alive
