// stories260K tokens/s in Chromium: the llm-chat guest in a `wacs web` page (its wasi:nn answered
// in its own Web Worker through JSPI, and through the Atomics bridge to the page; wllama backend,
// stream-stdout on) against wllama called directly in the same page, same model URL, same settings
// (greedy, 1 thread, same context). Each round is one page per guest path: wllama direct, then the
// guest (the page's start is held until then), then wllama direct again; the baseline is the mean
// of the two direct runs, so neither side always runs first. Both rates are output tokens over
// the whole request (prompt included), as llm-chat's --stats line measures them.
// Writes bench/web-wllama-results.md.
//   node bench/web-wllama.mjs [--tokens 100] [--rounds 5]
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
const tokens = flag('tokens', 100);
const rounds = flag('rounds', 5);
const CTX = 512;
const PROMPT = 'Once upon a time';
const stories = join(root, '../shared/models/gguf/stories260K.gguf');
if (!existsSync(stories)) {
  console.error('bench/web-wllama.mjs needs ../shared/models/gguf/stories260K.gguf');
  process.exit(1);
}
const chromium = process.env.WACS_CHROMIUM ?? '/usr/bin/chromium';
const guestPath = join(root, 'guests/dist/llm-chat.wasm');
// Context settings in the model spec: the backend starts llama.cpp with them at load, as the direct
// run does before its timed request (set per compute, they would start another engine in the compute).
const settings = ['--set', 'temp=0', '--set', `n-predict=${tokens}`];
const assets = await webAssets({
  guestPath,
  wasm: new Uint8Array(readFileSync(guestPath)),
  args: ['--model', 'stories', '--raw', '--stats', ...settings, PROMPT],
  models: [{ name: 'stories', spec: { path: stories, options: { 'ctx-size': CTX, threads: 1 } } }],
  backends: ['@wacs/backend-wllama'],
});
const web = await startWebServer(assets);
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });

/** wllama in the page itself: the bundle the backend came from, the same request, timed the same way. */
async function direct(page) {
  return page.evaluate(
    async (tokens, ctx, prompt) => {
      // The only backend bound: @wacs/backend-wllama, served as backends/0.js with its engine under engines/0/.
      const entry = { url: '/backends/0.js', assetsUrl: '/engines/0/' };
      const { Wllama } = await import(new URL(entry.url, location.href).href);
      const quiet = { debug: () => {}, log: () => {}, warn: () => {}, error: console.error };
      const engine = new Wllama({ default: new URL(`${entry.assetsUrl}wllama.wasm`, location.href).href }, { suppressNativeLog: true, logger: quiet });
      engine.setCompat(null);
      await engine.loadModel([await (await fetch('/models/stories')).blob()], { n_ctx: ctx, n_batch: Math.min(512, ctx), n_threads: 1, n_gpu_layers: 0, n_parallel: 1, ctx_shift: false });
      let pieces = 0;
      const request = { prompt, temperature: 0, top_k: 40, top_p: 0.95, min_p: 0.05, repeat_penalty: 1.1, repeat_last_n: 64, n_predict: tokens, cache_prompt: true, stream: true, onData: () => pieces++ };
      const start = performance.now();
      await engine.createCompletion(request);
      const ms = performance.now() - start;
      await engine.exit();
      return { rate: (tokens / ms) * 1000, pieces };
    },
    tokens,
    CTX,
    PROMPT,
  );
}

/** One page: wllama direct, the guest with its wasi:nn answered `nn`, wllama direct again. */
async function pageRound(nn) {
  const page = await browser.newPage();
  // The page starts the guest once it has its config.json: held back until wllama direct has run.
  let releaseConfig;
  const configAsked = new Promise((resolve) => (releaseConfig = resolve));
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/config.json') void configAsked.then(() => request.continue());
    else void request.continue();
  });
  await page.goto(nn === 'bridge' ? `${web.url}?nn=bridge` : web.url);
  const before = (await direct(page)).rate;
  releaseConfig();
  await page.waitForFunction('window.wacsResult', { timeout: 300_000, polling: 200 });
  const result = await page.evaluate('window.wacsResult');
  const stats = /output_tokens=(\d+) ms=[\d.]+ tokens_per_s=([\d.]+)/.exec(result.stdout);
  if (!stats || Number(stats[1]) !== tokens) throw new Error(`the guest printed no stats for ${tokens} tokens: ${result.stdout}${result.stderr}${result.error ?? ''}`);
  if (result.nn !== nn) throw new Error(`the page answered wasi:nn ${result.nn}, not ${nn}`);
  const after = (await direct(page)).rate;
  console.log(`${nn}: direct ${before.toFixed(1)}, guest ${Number(stats[2]).toFixed(1)}, direct ${after.toFixed(1)} tok/s`);
  await page.close();
  return { guest: Number(stats[2]), direct: (before + after) / 2 };
}

const paths = { 'in-worker': { guestRates: [], directRates: [] }, bridge: { guestRates: [], directRates: [] } };
for (let round = 0; round < rounds; round++) {
  // The order turns each round, so that neither guest path always runs first.
  for (const nn of round % 2 ? ['bridge', 'in-worker'] : ['in-worker', 'bridge']) {
    const { guest, direct: baseline } = await pageRound(nn);
    paths[nn].guestRates.push(guest);
    paths[nn].directRates.push(baseline);
  }
}
const version = await browser.version();
await browser.close();
await web.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (label, { guestRates, directRates }) => {
  const ratios = guestRates.map((g, i) => g / directRates[i]);
  return `| ${label} | ${median(guestRates).toFixed(1)} (direct in the same pages: ${median(directRates).toFixed(1)}) | ${median(ratios).toFixed(2)}× (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×) |`;
};
const md = `## wacs web: stories260K tokens/s in Chromium, llm-chat guest vs wllama direct (issue 19)

\`node packages/cli/bench/web-wllama.mjs --tokens ${tokens} --rounds ${rounds}\` · ${version} headless · ${cpus().length} vCPUs shared
with other work (noisy: compare the ratio, measured in the same page: direct, guest, direct) · medians of ${rounds} rounds,
${tokens} tokens each, greedy, 1 thread, context ${CTX}; @wllama/wllama 3.13.0. Goal: ≥ 0.9×.

The baseline is wllama called directly in the same page (\`createCompletion\`, streamed), the mean of the runs before and after the guest; ratios are taken within each page.

| path | tokens/s | vs direct |
|---|---|---|
${row("llm-chat guest in a Web Worker, wasi:nn answered there: JSPI → host and wllama backend in the same worker (stream-stdout)", paths['in-worker'])}
${row('the same guest, wasi:nn through the Atomics.wait bridge to the page (`?nn=bridge`)', paths.bridge)}
`;
writeFileSync(new URL('./web-wllama-results.md', import.meta.url), md);
console.log(md);
