// Benchmark (not a test), both sides against one server process on loopback, interleaved:
//   1. OIP latency: one compute through backend-remote (protocol=oip) vs a direct HTTP client posting
//      the same JSON request on a kept-alive connection and decoding the output (median of each).
//      Model: mnist from ../shared (Input3 f32[1,1,28,28]), else a fixtures linear model.
//   2. Streaming: tokens/s of a greedy completion read through backend-remote's stream() vs a
//      direct SSE client of the same server. Model: stories260K from ../shared, else the fixtures'
//      tiny llama. Goals (issue #18): latency ≤ 1.1×, tokens/s ≥ 0.95×.
//
//   node bench/run.mjs     (build first: pnpm --filter @wacs/backend-remote build)
import { linearModel, repoRoot, sharedModel, tinyLlamaGguf, wacsBin } from '@wacs/fixtures';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { remoteBackend } from '../dist/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 200);
const STREAMS = Number(process.env.STREAMS ?? 12);
const TOKENS = 200;
const PROMPT = 'Once upon a time';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'wacs-remote-bench-'));

async function startServer(kind, model, name) {
  const child = spawn(process.execPath, [new URL('./server.mjs', import.meta.url).pathname, kind, model, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
  });
  return { url: JSON.parse(line).url, stop: () => child.kill() };
}

function load(url, options, name) {
  return remoteBackend.load({ source: { kind: 'path', path: url }, encoding: 'autodetect', target: 'auto', options, name });
}

const agent = new http.Agent({ keepAlive: true });
function post(url, body, onData) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const parts = [];
      res.on('data', (d) => (onData ? onData(d) : parts.push(d)));
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `wacs serve` with the oip-server guest (issue #17), when this build has it. */
async function startWacsServe(model, name) {
  const oipServer = join(repoRoot, 'guests/dist/oip-server.wasm');
  if (!existsSync(oipServer)) return undefined;
  const child = spawn(process.execPath, [wacsBin, 'serve', oipServer, '--bind', join(repoRoot, 'packages/backend-onnx'), '--model', `${name}=${model}`, '--port', '0', '--json', '--log', 'off', '--instances', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`wacs serve exited (${code})`)));
  });
  return { url: JSON.parse(line).url, stop: () => child.kill() };
}

async function oipLatency(serverKind = 'node') {
  const mnist = sharedModel('onnx/mnist.onnx');
  const model = mnist ?? join(dir, 'linear.onnx');
  if (!mnist) writeFileSync(model, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
  const [inputName, shape] = mnist ? ['Input3', [1, 1, 28, 28]] : ['x', [1, 3]];
  const count = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: count }, (_, i) => (i % 7) / 7);
  const server = serverKind === 'wacs' ? await startWacsServe(model, 'm') : await startServer('oip', model, 'm');
  if (!server) return undefined;
  try {
    const graph = await load(server.url, { protocol: 'oip' }, 'm');
    const context = await graph.createContext();
    const input = () => [{ name: inputName, tensor: { type: 'FP32', dimensions: shape, data: new Uint8Array(values.buffer.slice(0)) } }];
    // Like any client, the direct one serialises its tensor for each request.
    const direct = async () => {
      const body = JSON.stringify({ inputs: [{ name: inputName, shape, datatype: 'FP32', data: Array.from(values) }] });
      const reply = JSON.parse((await post(`${server.url}/v2/models/m/infer`, body)).toString());
      return Float32Array.from(reply.outputs[0].data);
    };
    // Same answer both ways, then warm up.
    const [ours] = await context.compute(input());
    const theirs = await direct();
    if (Buffer.compare(Buffer.from(ours.tensor.data), Buffer.from(theirs.buffer)) !== 0) throw new Error('backend-remote and the direct client disagree');
    for (let i = 0; i < 20; i++) {
      await context.compute(input());
      await direct();
    }
    const remote = [];
    const plain = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await context.compute(input());
      remote.push(performance.now() - t);
      t = performance.now();
      await direct();
      plain.push(performance.now() - t);
    }
    await graph.dispose();
    return { model: `${mnist ? 'mnist (../shared)' : 'fixtures linear 3→2'}, ${serverKind === 'wacs' ? 'wacs serve + oip-server' : 'onnxruntime-node server'}`, remote: median(remote), direct: median(plain) };
  } finally {
    server.stop();
  }
}

async function streamRate() {
  const stories = sharedModel('gguf/stories260K.gguf');
  const model = stories ?? join(dir, 'tiny.gguf');
  if (!stories) writeFileSync(model, tinyLlamaGguf({ contextLength: 512 }));
  const server = await startServer('openai', model, 'm');
  try {
    const graph = await load(server.url, { protocol: 'openai' }, 'm');
    const context = await graph.createContext();
    const metadata = { 'n-predict': TOKENS, temp: 0 };
    const inputs = () => [
      { name: 'prompt', tensor: { type: 'U8', dimensions: [PROMPT.length], data: new TextEncoder().encode(PROMPT) } },
      { name: 'metadata', tensor: { type: 'U8', dimensions: [0], data: new TextEncoder().encode(JSON.stringify(metadata)) } },
    ].map((i) => ({ ...i, tensor: { ...i.tensor, dimensions: [i.tensor.data.byteLength] } }));
    const viaBackend = async () => {
      const steps = context.stream(inputs());
      let chunks = 0;
      const t = performance.now();
      while (!(await steps.next()).done) chunks++;
      return { rate: (chunks / (performance.now() - t)) * 1000, chunks };
    };
    const body = JSON.stringify({ model: 'm', prompt: PROMPT, max_tokens: TOKENS, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const direct = async () => {
      let chunks = 0;
      let buffer = '';
      const t = performance.now();
      await post(`${server.url}/v1/completions`, body, (d) => {
        buffer += d.toString();
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.replace(/^data: /, '');
          if (data !== '[DONE]' && JSON.parse(data).choices[0]?.text) chunks++;
        }
      });
      return { rate: (chunks / (performance.now() - t)) * 1000, chunks };
    };
    await viaBackend();
    await direct();
    const remote = [];
    const plain = [];
    for (let i = 0; i < STREAMS; i++) {
      const a = await viaBackend();
      const b = await direct();
      if (a.chunks !== b.chunks) throw new Error(`chunk counts differ: ${a.chunks} vs ${b.chunks}`);
      remote.push(a.rate);
      plain.push(b.rate);
    }
    await graph.dispose();
    return { model: stories ? 'stories260K (../shared)' : 'fixtures tiny llama', remote: median(remote), direct: median(plain) };
  } finally {
    server.stop();
  }
}

const oip = await oipLatency();
const oipWacs = await oipLatency('wacs');
const stream = await streamRate();
agent.destroy();
const report = `## backend-remote benchmark

Machine: ${cpus().length} vCPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end; shared with other
work, so figures are noisy: compare the ratios, measured interleaved in one run, not the absolute numbers.

| what | backend-remote | direct client | ratio | goal |
|---|---|---|---|---|
| OIP infer latency, ${oip.model}, median of ${ROUNDS} | ${oip.remote.toFixed(3)} ms | ${oip.direct.toFixed(3)} ms | ${(oip.remote / oip.direct).toFixed(2)}× | ≤ 1.1× |
${oipWacs ? `| OIP infer latency, ${oipWacs.model}, median of ${ROUNDS} | ${oipWacs.remote.toFixed(3)} ms | ${oipWacs.direct.toFixed(3)} ms | ${(oipWacs.remote / oipWacs.direct).toFixed(2)}× | ≤ 1.1× |` : '| OIP through wacs serve | (not measured: this build has no oip-server guest, issue #17) | | | |'}
| streamed tokens/s, ${stream.model}, ${TOKENS} tokens, median of ${STREAMS} | ${stream.remote.toFixed(0)} | ${stream.direct.toFixed(0)} | ${(stream.remote / stream.direct).toFixed(2)}× | ≥ 0.95× |

Server: a separate Node process on loopback (onnxruntime-node / node-llama-cpp, one thread), the same
for both clients. The direct client posts the identical JSON request on a kept-alive connection and
decodes the answer (OIP: JSON to Float32Array; SSE: one JSON.parse per event).
`;
console.log(report);
writeFileSync(new URL('./results.md', import.meta.url), report);
