// The cost of one wasi:nn round trip between a guest's Web Worker and the page in Chromium, with
// nothing else in it: the worker blocks in Atomics.wait, the page wakes on Atomics.waitAsync (the
// design of @wacs/browser's bridge), optionally busy for `--work` ms before answering, as the
// page is while a backend computes. Compare with bench/web.mjs, whose per-compute overhead is
// mostly these round trips.
//   node bench/web-bridge.mjs [--calls 500] [--work 0,1]
import { createServer } from 'node:http';
import puppeteer from 'puppeteer-core';

const flag = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const calls = Number(flag('calls', 500));
const works = flag('work', '0,1').split(',').map(Number);

const worker = `onmessage = (e) => {
  const control = new Int32Array(e.data.control);
  const call = (seq) => {
    Atomics.store(control, 0, seq);
    Atomics.notify(control, 0);
    for (let answered = Atomics.load(control, 1); answered !== seq; answered = Atomics.load(control, 1)) Atomics.wait(control, 1, answered);
  };
  for (let i = 1; i <= 100; i++) call(i);
  const start = performance.now();
  for (let i = 101; i <= 100 + e.data.calls; i++) call(i);
  postMessage(((performance.now() - start) * 1000) / e.data.calls);
};`;

const page = `<!doctype html><script type="module">
const params = new URLSearchParams(location.search);
const work = Number(params.get('work'));
const control = new Int32Array(new SharedArrayBuffer(8));
const w = new Worker('/worker.js');
let seen = 0;
(async () => {
  for (;;) {
    const seq = Atomics.load(control, 0);
    if (seq === seen) {
      const wait = Atomics.waitAsync(control, 0, seen);
      if (wait.async) await wait.value;
      continue;
    }
    seen = seq;
    await null;
    for (const start = performance.now(); performance.now() - start < work; );
    Atomics.store(control, 1, seq);
    Atomics.notify(control, 1);
  }
})();
window.result = new Promise((resolve) => (w.onmessage = (e) => resolve(e.data)));
w.postMessage({ control: control.buffer, calls: Number(params.get('calls')) });
</script>`;

const server = createServer((request, response) => {
  const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  const worker_ = request.url.startsWith('/worker.js');
  response.writeHead(200, { ...isolation, 'Content-Type': worker_ ? 'text/javascript' : 'text/html' });
  response.end(worker_ ? worker : page);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await puppeteer.launch({ executablePath: process.env.WACS_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
for (const work of works) {
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${server.address().port}/?work=${work}&calls=${calls}`);
  const us = await tab.evaluate('window.result');
  console.log(`page busy ${work} ms per call: round trip ${us.toFixed(1)} µs, of which waiting on the other thread ${(us - work * 1000).toFixed(1)} µs`);
  await tab.close();
}
await browser.close();
server.close();
