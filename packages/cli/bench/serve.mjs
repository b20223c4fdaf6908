// wacs serve benchmark (issue 17), on loopback with autocannon: the serve-probe guest answering
// POST /nn (JSON tensors in, a model run through wasi:nn, JSON out) against a plain Node http server
// that does the same with onnxruntime-node directly. Rounds are interleaved so machine load hits
// every variant alike; ratios are against direct in the same round.
//   node packages/cli/bench/serve.mjs [seconds per run, default 5]   writes bench/serve-results.md
import onnx from '@wacs/backend-onnx';
import { BackendRegistry, ModelRegistry, NnHost, startServer } from '@wacs/core';
import { guest, linearModel, sharedModel } from '@wacs/fixtures';
import autocannon from 'autocannon';
import ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const seconds = Number(process.argv[2] ?? 5);
const CONNECTIONS = 8;
const dir = mkdtempSync(join(tmpdir(), 'wacs-serve-bench-'));
const linear = join(dir, 'linear.onnx');
writeFileSync(linear, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
const mnist = sharedModel('onnx/mnist.onnx');
// mnist's input is named Input3; the probe guest names its input x, so mnist runs only direct-vs-direct here.
const cases = [{ name: 'linear 1x3 -> 1x2', path: linear, body: JSON.stringify({ dims: [1, 3], data: [1, 1, 1] }) }];

/** The same protocol as serve-probe's /nn, served by onnxruntime-node directly. */
async function directServer(path) {
  const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const { dims, data } = JSON.parse(Buffer.concat(chunks).toString());
      const outputs = await session.run({ x: new ort.Tensor('float32', Float32Array.from(data), dims) });
      const out = outputs[session.outputNames[0]];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ dims: out.dims, data: Array.from(out.data) }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: async () => { server.close(); await session.release(); } };
}

async function wacsServer(path, reuseInstances) {
  const backends = new BackendRegistry();
  backends.register(onnx);
  const models = new ModelRegistry();
  models.add('m', { path });
  const server = await startServer(new Uint8Array(readFileSync(guest('serve-probe'))), new NnHost(backends, models, { log: () => {} }), {
    port: 0, log: 'off', instances: CONNECTIONS, queue: 1024, reuseInstances,
  });
  return { url: server.url, close: () => server.close() };
}

async function load(url, body) {
  const result = await autocannon({ url: `${url}/nn?model=m`, method: 'POST', body, connections: CONNECTIONS, duration: seconds, headers: { 'content-type': 'application/json' } });
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const lines = [
  '## wacs serve: HTTP through a guest (issue 17)',
  '',
  `\`node packages/cli/bench/serve.mjs ${seconds}\`; autocannon, ${CONNECTIONS} connections, ${seconds} s per run, 2 interleaved rounds (median shown); load average at the start: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores. **Noisy**: other work shares this machine.`,
  'The guest is guests/serve-probe (TypeScript in StarlingMonkey): it parses the JSON, runs the model through wasi:nn and writes JSON. "fresh" gives every request a new instance (the default), "reused" keeps instances (`--reuse-instances`).',
  '',
  '| case | variant | req/s | p50 ms | p99 ms | req/s vs direct | p99 vs direct |',
  '|---|---|---|---|---|---|---|',
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const { name, path, body } of cases) {
  const rounds = { direct: [], reused: [], fresh: [] };
  for (let round = 0; round < 2; round++) {
    for (const [variant, start] of [['direct', () => directServer(path)], ['reused', () => wacsServer(path, true)], ['fresh', () => wacsServer(path, false)]]) {
      const server = await start();
      await load(server.url, body); // warm-up run, not counted
      rounds[variant].push(await load(server.url, body));
      await server.close();
    }
  }
  const pick = (variant, key) => median(rounds[variant].map((r) => r[key]));
  for (const variant of ['direct', 'reused', 'fresh']) {
    const rps = pick(variant, 'rps');
    const p99 = pick(variant, 'p99');
    lines.push(`| ${name} | ${variant} | ${rps.toFixed(0)} | ${pick(variant, 'p50')} | ${p99} | ${variant === 'direct' ? '' : `${(rps / pick('direct', 'rps')).toFixed(2)}x`} | ${variant === 'direct' ? '' : `${(p99 / pick('direct', 'p99')).toFixed(2)}x`} |`);
  }
}
if (!mnist) lines.push('', 'mnist (../shared/models/onnx/mnist.onnx) is absent here; it waits for the oip-server guest anyway.');
lines.push('');
const markdown = lines.join('\n');
console.log(markdown);
writeFileSync(new URL('./serve-results.md', import.meta.url), `${markdown}\n`);
