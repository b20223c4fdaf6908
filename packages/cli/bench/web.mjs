// mnist per compute in Chromium: the nn-compute guest in a `wacs web` page, its wasi:nn answered in
// its own Web Worker (JSPI) and through the bridge to the page (Atomics.wait), both on
// onnxruntime-web (wasm EP, 1 thread), against onnxruntime-web called directly in the same page, same
// thread count, same input, rounds interleaved. Writes bench/web-results.md.
//   node bench/web.mjs [--repeat 1000] [--rounds 3] [--warmup 20000] [--warmup-ms 4000]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { startWebServer, webAssets } from '../dist/index.js';

const root = new URL('../../..', import.meta.url).pathname;
const flag = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const repeat = flag('repeat', 1000);
const rounds = flag('rounds', 3);
// Untimed computes first, on both sides: Chromium compiles wasm in tiers, in the background, and
// both engines take seconds to reach full speed (measured here: onnxruntime-web direct took 200 µs a
// run after 0.6 s of warm-up, 86 µs after 4 s). The guest makes --warmup computes, direct runs for
// --warmup-ms.
const warmup = flag('warmup', 20000);
const warmupMs = flag('warmup-ms', 4000);
const mnist = join(root, '../shared/models/onnx/mnist.onnx');
if (!existsSync(mnist)) {
  console.error('bench/web.mjs needs ../shared/models/onnx/mnist.onnx');
  process.exit(1);
}
const chromium = process.env.WACS_CHROMIUM ?? '/usr/bin/chromium';
const guestPath = join(root, 'guests/dist/nn-compute.wasm');
const assets = await webAssets({
  guestPath,
  wasm: new Uint8Array(readFileSync(guestPath)),
  args: ['mnist', '--fill', 'Input3=FP32:1x1x28x28:0.5', '--warmup', String(warmup), '--repeat', String(repeat)],
  models: [{ name: 'mnist', spec: { path: mnist } }],
  backends: [],
});
const web = await startWebServer(assets);
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });

/**
 * onnxruntime-web in the page itself: same model, same input made afresh each time, same thread
 * count. In a document of its own (the server's config.json), so that it never finds onnxruntime-web
 * already loaded and warmed by a guest's run in the page (the bridge keeps the backend there).
 */
async function direct(page) {
  await page.goto(new URL('config.json', web.url).href);
  return page.evaluate(async (n, warmMs) => {
    const ort = await import('/engines/0/ort.bundle.min.mjs');
    ort.env.wasm.wasmPaths = '/engines/0/';
    ort.env.wasm.numThreads = 1;
    const bytes = new Uint8Array(await (await fetch('/models/mnist')).arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const feed = () => ({ Input3: new ort.Tensor('float32', new Float32Array(784).fill(0.5), [1, 1, 28, 28]) });
    for (const end = performance.now() + warmMs; performance.now() < end; ) await session.run(feed());
    const start = performance.now();
    for (let i = 0; i < n; i++) await session.run(feed());
    const us = ((performance.now() - start) * 1000) / n;
    await session.release();
    return us;
  }, repeat, warmupMs);
}

/** The guest's mean µs per compute in a fresh page; `nn` is where its wasi:nn calls must have been answered. */
async function guest(page, nn) {
  await page.goto(nn === 'bridge' ? `${web.url}?nn=bridge` : web.url);
  await page.waitForFunction('window.wacsResult', { timeout: 300_000, polling: 200 });
  const result = await page.evaluate('window.wacsResult');
  const mean = /mean_us ([\d.]+)/.exec(result.stdout);
  if (!mean) throw new Error(`the guest printed no mean_us: ${result.stdout}${result.stderr}${result.error ?? ''}`);
  if (result.nn !== nn) throw new Error(`the page answered wasi:nn ${result.nn}, not ${nn}`);
  return Number(mean[1]);
}

const inWorkerUs = [];
const bridgeUs = [];
const directUs = [];
for (let round = 0; round < rounds; round++) {
  const page = await browser.newPage();
  // The order turns each round, so that neither guest path always follows the other.
  const order = round % 2 ? ['bridge', 'in-worker'] : ['in-worker', 'bridge'];
  for (const nn of order) (nn === 'bridge' ? bridgeUs : inWorkerUs).push(await guest(page, nn));
  directUs.push(await direct(page));
  console.log(`round ${round + 1}: in the worker ${inWorkerUs.at(-1).toFixed(1)} µs, bridge ${bridgeUs.at(-1).toFixed(1)} µs, direct ${directUs.at(-1).toFixed(1)} µs`);
  await page.close();
}
const version = await browser.version();
await browser.close();
await web.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const d = median(directUs);
const ratios = (us) => us.map((v, i) => v / directUs[i]);
const row = (label, us) => `| ${label} | ${median(us).toFixed(1)} µs | ${median(ratios(us)).toFixed(2)}× (rounds ${Math.min(...ratios(us)).toFixed(2)}–${Math.max(...ratios(us)).toFixed(2)}×) |`;
const md = `## wacs web: mnist in Chromium, guest vs onnxruntime-web direct (issue 19)

\`node packages/cli/bench/web.mjs --repeat ${repeat} --rounds ${rounds} --warmup ${warmup} --warmup-ms ${warmupMs}\` · ${version} headless · ${cpus().length} vCPUs shared
with other work (noisy: compare the ratio, measured in the same page, rounds interleaved) · medians of ${rounds} rounds
of ${repeat} computes each, after untimed ones (the guest ${warmup}, direct for ${warmupMs / 1000} s; direct in a document of its own), onnxruntime-web 1.30 wasm EP, 1 thread.

| path | per compute | vs direct |
|---|---|---|
| onnxruntime-web called directly in the page (\`session.run\`, a fresh input tensor each time) | ${d.toFixed(1)} µs | 1.00× |
${row("nn-compute guest (TypeScript component) in a Web Worker, wasi:nn answered there: JSPI → host and onnx-web backend in the same worker", inWorkerUs)}
${row('the same guest, wasi:nn through the Atomics.wait bridge to the page (`?nn=bridge`)', bridgeUs)}

Each round: ${inWorkerUs.map((v, i) => `${v.toFixed(0)}/${bridgeUs[i].toFixed(0)}/${directUs[i].toFixed(0)} µs`).join(', ')} (in the worker/bridge/direct).
Ratios are taken within each round.
`;
writeFileSync(new URL('./web-results.md', import.meta.url), md);
console.log(md);
