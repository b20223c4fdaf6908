// Foundation benchmarks: the cost of the guest boundary and of a `wacs run` process, against
// onnxruntime-node called directly (or a plain Node script) in the same rounds. Two guests: the
// TypeScript component nn-compute (its JS runs in StarlingMonkey, an interpreter compiled to wasm)
// and the compiled Rust preview1 module nn-bench (its own work is negligible, so its extra time is
// the runtime's). Every path runs once per round, the order rotating; figures are medians with the
// interquartile range (p25–p75) over rounds, and beside each ratio the absolute cost added.
//   1. per call: a tiny model, guest loops vs direct session.run
//   2. throughput: a 64 MiB FP32 tensor in and out (Identity model)
//   3. start-up: `wacs run` of a cached component to its first wasi:nn call, vs a bare `node -e 0`
//   4. one-shot `wacs run` of nn-compute on mnist: phases (WACS_TRACE=1), wall and peak RSS of the
//      host process vs a plain onnxruntime-node script
//   5. first run of a component: transpiling (empty cache), from the cache, from `wacs compile`'s artifact
//   6. wacs serve: its own script (bench/serve.mjs), then the last 10,000-request reliability run's
//      figures (bench/reliability.mjs, run on its own: it takes many minutes)
//   node packages/cli/bench/run.mjs [--quick] [per-call|throughput|start-up|one-shot|first-run…]
//   (after `pnpm build`; naming sections runs only those)
import { identityModel, linearModel, guest, repoRoot, sharedModel, wacsBin } from '@wacs/fixtures';
import ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { differences, fmt, interleave, parseTrace, provenance, ratios, timedSpawn } from '../../../scripts/bench-lib.mjs';

const quick = process.argv.includes('--quick');
const sections = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const want = (section) => sections.length === 0 || sections.includes(section);
const ROUNDS = quick ? 3 : 9;
const dir = mkdtempSync(join(tmpdir(), 'wacs-bench-'));
const node = process.execPath;
const lines = ['## Foundation: the guest boundary and a `wacs run` process', '', `\`node packages/cli/bench/run.mjs\`. ${provenance()}`, ''];
const log = (line) => console.error(`[cli bench] ${line}`);

/** `wacs run` with the given arguments; throws with its stderr when it fails. */
async function wacs(args, env = {}) {
  const r = await timedSpawn(node, [wacsBin, 'run', ...args], { env: { ...process.env, ...env } });
  if (r.code !== 0) throw new Error(`wacs run ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}
const meanUs = (r) => Number(/mean_us ([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);

async function directMeanUs(session, makeFeeds, repeat) {
  await session.run(makeFeeds());
  const start = performance.now();
  for (let i = 0; i < repeat; i++) await session.run(makeFeeds());
  return ((performance.now() - start) * 1000) / repeat;
}

const onnxGuest = (wasm, modelPath, guestArgs, spec = '') => wacs([wasm, '--bind', '@wacs/backend-onnx', '--model', `m=${modelPath}${spec}`, '--', 'm', ...guestArgs]);
const nnBench = join(repoRoot, 'guests/preview1/bin/nn-bench.wasm');
/** The compiled guest; `,in_thread=false` sends every call through the bridge to the host thread. */
/** `warmup` untimed rounds come first in each guest (V8 compiles the host's JavaScript in tiers). */
const compiledUs = async (modelPath, dims, outputElements, repeat, spec, warmup = 0) =>
  meanUs(await onnxGuest(nnBench, modelPath, [dims, String(outputElements), String(repeat), String(warmup)], spec));
const componentUs = async (modelPath, inputArgs, repeat, warmup = 0) =>
  meanUs(await onnxGuest(guest('nn-compute'), modelPath, [...inputArgs, '--repeat', String(repeat), '--warmup', String(warmup)]));

/** A table row: the median (p25–p75) of a path, its ratio to the base path and what it adds, all per round. */
function row(label, samples, base, unit, digits = 1) {
  if (!base) return `| ${label} | ${fmt(samples, digits)} | | |`;
  return `| ${label} | ${fmt(samples, digits)} | ${fmt(ratios(samples, base), 2)} | ${fmt(differences(samples, base), digits)} ${unit} |`;
}

// A tiny model: 1x3 → 1x2 linear.
const small = join(dir, 'linear.onnx');
writeFileSync(small, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));

// 1. Per call
if (want('per-call')) {
  const REPEAT = quick ? 2000 : 5000;
  // Every path at its steady speed: the guests run untimed computes first, direct warms up here once.
  // The TS guest's warm-up stays short: componentize-js 0.19.3 frees its import calls' buffers only
  // when `run` returns, so a long loop slows down (guests/README.md).
  const WARMUP = quick ? 5000 : 20000;
  const COMPONENT_WARMUP = 3000;
  const session = await ort.InferenceSession.create(small, { executionProviders: ['cpu'] });
  const feeds = () => ({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 1), [1, 3]) });
  await directMeanUs(session, feeds, WARMUP);
  log('per call');
  const s = await interleave(ROUNDS, {
    direct: () => directMeanUs(session, feeds, REPEAT),
    bridge: () => compiledUs(small, '1x3', 2, REPEAT, ',in_thread=false', WARMUP),
    inThread: () => compiledUs(small, '1x3', 2, REPEAT, '', WARMUP),
    component: () => componentUs(small, ['x=FP32:1x3:1,1,1'], REPEAT, COMPONENT_WARMUP),
  });
  await session.release();
  lines.push(
    `| per call, 1x3 → 1x2 linear model, ${ROUNDS} rounds of ${REPEAT.toLocaleString('en')} computes after ${WARMUP.toLocaleString('en')} untimed (the TS guest: ${COMPONENT_WARMUP.toLocaleString('en')}) | µs per compute | × direct | µs added per call |`,
    '|---|---|---|---|',
    row('onnxruntime-node direct (session.run, new input tensor each call)', s.direct),
    row('compiled guest (Rust, preview1): set_input + compute + get_output, through the bridge to the host thread', s.bridge, s.direct, 'µs'),
    row("the same guest computing in its own thread (backend-onnx's default for small CPU models)", s.inThread, s.direct, 'µs'),
    row('TypeScript component guest (StarlingMonkey): new tensor + compute, in its own thread', s.component, s.direct, 'µs'),
    '',
  );
}

// 2. Throughput: 64 MiB in and out
if (want('throughput')) {
  const REPEAT = quick ? 2 : 4;
  const elements = (64 * 2 ** 20) / 4;
  const big = join(dir, 'identity.onnx');
  writeFileSync(big, identityModel('float', [elements]));
  const session = await ort.InferenceSession.create(big, { executionProviders: ['cpu'] });
  const input = new Float32Array(elements).fill(1);
  log('64 MiB');
  const s = await interleave(ROUNDS, {
    direct: () => directMeanUs(session, () => ({ x: new ort.Tensor('float32', input, [elements]) }), REPEAT),
    bridge: () => compiledUs(big, String(elements), elements, REPEAT, ',in_thread=false'),
    inThread: () => compiledUs(big, String(elements), elements, REPEAT, ''),
  });
  await session.release();
  // 128 MiB cross the boundary per compute (64 in, 64 out): the guest's extra time over direct moves them.
  const boundaryGiBps = (guestUs) => differences(guestUs, s.direct).map((us) => (2 * 64) / 1024 / (us / 1e6));
  const ms = (xs) => xs.map((us) => us / 1000);
  lines.push(
    `| 64 MiB FP32 in, 64 MiB out (Identity), ${ROUNDS} rounds of ${REPEAT} | ms per compute | × direct | ms added | across the boundary (128 MiB / ms added) |`,
    '|---|---|---|---|---|',
    `| onnxruntime-node direct | ${fmt(ms(s.direct))} | | | |`,
    `| compiled guest (Rust, preview1), through the bridge | ${fmt(ms(s.bridge))} | ${fmt(ratios(s.bridge, s.direct), 2)} | ${fmt(ms(differences(s.bridge, s.direct)))} | **${fmt(boundaryGiBps(s.bridge), 2)} GiB/s** |`,
    `| the same guest computing in its own thread | ${fmt(ms(s.inThread))} | ${fmt(ratios(s.inThread, s.direct), 2)} | ${fmt(ms(differences(s.inThread, s.direct)))} | ${fmt(boundaryGiBps(s.inThread), 2)} GiB/s |`,
    '',
  );
}

// 3. Start-up to the first wasi:nn call (cached component)
if (want('start-up')) {
  const firstCall = new URL('./first-call-backend.mjs', import.meta.url).pathname;
  const args = [guest('nn-compute'), '--bind', firstCall, '--model', `m=${small}`, '--', 'm', 'x=FP32:1x3:1,1,1'];
  await wacs(args); // fills the transpile cache
  const firstCallMs = async (env) => {
    const r = await timedSpawn(node, [wacsBin, 'run', ...args], { env: { ...process.env, ...env } });
    return Number(/first-wasi-nn-call-at ([\d.]+)/.exec(r.stderr)[1]) - r.spawnedAt;
  };
  log('start-up');
  const s = await interleave(ROUNDS + 3, {
    bare: async () => (await timedSpawn(node, ['-e', '0'])).wallMs,
    watched: () => firstCallMs({}),
    unwatched: () => firstCallMs({ WACS_NO_WATCHER: '1' }),
    whole: async () => (await timedSpawn(node, [wacsBin, 'run', ...args])).wallMs,
  });
  lines.push(
    `| start-up, cached component, ${ROUNDS + 3} rounds | ms | × bare \`node -e 0\` | ms added |`,
    '|---|---|---|---|',
    row('bare `node -e 0`, spawn to exit', s.bare),
    row('`wacs run` spawned → first wasi:nn call reaches the host', s.watched, s.bare, 'ms', 0),
    row('the same without the crash-reporting watcher process (`WACS_NO_WATCHER=1`)', s.unwatched, s.bare, 'ms', 0),
    row('whole `wacs run`, spawn to exit', s.whole, s.bare, 'ms', 0),
    '',
  );
}

// 4. One-shot `wacs run` of nn-compute: where the time goes, and the host's peak memory
/** Phases of a one-shot run, as pairs of trace marks (see @wacs/core/trace); some overlap (the compile runs beside the worker's start). */
const PHASES = [
  ['spawned', 'node-started', 'process spawn, until Node starts its clock'],
  ['node-started', 'cli-entered', 'Node start-up and loading bin.js'],
  ['cli-entered', 'watcher-spawned', 'spawning the watcher process'],
  ['watcher-spawned', 'cli-loaded', 'importing the CLI and @wacs/core'],
  ['cli-loaded', 'guest-read', 'finding the command, reading the guest'],
  ['guest-read', 'backends-imported', 'importing the bound backends'],
  ['backends-imported', 'component-from-cache', 'component cache lookup'],
  ['component-from-cache', 'core-modules-compiled', '(host thread) compiling the core modules, beside the worker start'],
  ['component-from-cache', 'worker-spawned', 'creating the worker'],
  ['worker-spawned', 'worker-started', 'worker thread start-up, loading its script'],
  ['worker-started', 'bindings-imported', "importing jco's bindings (guest.js)"],
  ['bindings-imported', 'guest-instantiated', 'waiting for the compiled modules, instantiating'],
  ['guest-instantiated', 'host-loadByName-start', "the guest's own start-up, to its first wasi:nn call"],
  ['host-loadByName-start', 'host-loadByName-done', 'model load (host: engine import, session)'],
  ['host-loadByName-done', 'in-thread-twin-opened', "context, and the in-thread twin opening (engine in the guest's thread)"],
  ['in-thread-compute-start', 'in-thread-compute-done', 'first compute (in-thread)'],
  ['host-compute-start', 'host-compute-done', 'first compute (host thread)'],
  ['in-thread-compute-done', 'guest-returned', 'the guest after its compute: output, drops'],
  ['guest-returned', 'guest-exited', 'worker exit'],
  ['guest-exited', 'exit', 'session close, backend dispose'],
  ['exit', 'gone', 'process exit (native teardown)'],
  ['spawned', 'gone', 'whole process'],
];
if (want('one-shot')) {
  const mnist = sharedModel('onnx/mnist.onnx');
  const [modelPath, input, dims, what] = mnist ? [mnist, 'Input3', '1x1x28x28', 'mnist (../shared)'] : [small, 'x', '1x3', 'the 1x3 linear fixture (../shared absent)'];
  const plain = new URL('./plain-onnx.mjs', import.meta.url).pathname;
  const phases = new Map();
  const rssAt = new Map();
  const wacsRss = [];
  const plainRss = [];
  const plainWall = [];
  log('one-shot phases');
  const s = await interleave(ROUNDS, {
    wacs: async () => {
      const r = await wacs([guest('nn-compute'), '--bind', '@wacs/backend-onnx', '--model', `m=${modelPath}`, '--', 'm', '--fill', `${input}=FP32:${dims}:0.5`], { WACS_TRACE: '1' });
      const { marks, rss, peakRssKiB } = parseTrace(r.stderr);
      wacsRss.push(peakRssKiB / 1024);
      marks.set('spawned', r.spawnedAt);
      marks.set('gone', r.spawnedAt + r.wallMs);
      for (const [from, to] of PHASES) {
        if (marks.has(from) && marks.has(to)) phases.set(`${from}|${to}`, [...(phases.get(`${from}|${to}`) ?? []), marks.get(to) - marks.get(from)]);
        if (rss.has(to)) rssAt.set(to, [...(rssAt.get(to) ?? []), rss.get(to) / 1024]);
      }
      return r.wallMs;
    },
    plain: async () => {
      const r = await timedSpawn(node, [plain, modelPath, input, dims, '0.5']);
      if (r.code !== 0) throw new Error(`plain-onnx.mjs failed: ${r.stderr}`);
      plainRss.push(parseTrace(r.stderr).peakRssKiB / 1024);
      plainWall.push(r.wallMs);
      return r.wallMs;
    },
  });
  lines.push(
    `| one-shot \`wacs run nn-compute\` on ${what}, ${ROUNDS} rounds | wall ms | peak RSS MiB (the host process, all its threads) |`,
    '|---|---|---|',
    `| plain Node script: onnxruntime-node, load, one compute, print | ${fmt(plainWall, 0)} | ${fmt(plainRss, 0)} |`,
    `| \`wacs run\` (watcher, worker, guest, backend) | ${fmt(s.wacs, 0)} | ${fmt(wacsRss, 0)} |`,
    `| ratio | **${fmt(ratios(s.wacs, plainWall), 2)}×** (goal ≤ 1.5×) | **${fmt(ratios(wacsRss, plainRss), 2)}×** (goal ≤ 1.5×) |`,
    '',
    `Phases of that \`wacs run\` (the marks it writes with WACS_TRACE=1, the first time each is reached), median ms (p25–p75):`,
    '',
    '| phase | marks | ms | process RSS at its end, MiB |',
    '|---|---|---|---|',
    ...PHASES.filter(([from, to]) => phases.has(`${from}|${to}`)).map(
      ([from, to, what]) => `| ${what} | ${from} → ${to} | ${fmt(phases.get(`${from}|${to}`), 1)} | ${rssAt.has(to) ? fmt(rssAt.get(to), 0) : ''} |`,
    ),
    '',
  );
}

// 5. First run of a component: transpiling vs the cache vs an ahead-of-time `wacs compile` artifact
if (want('first-run')) {
  // A copy with no <name>.wacs beside it (pnpm build prepares one for the bundled guests).
  const wasm = join(dir, 'nn-compute.wasm');
  copyFileSync(guest('nn-compute'), wasm);
  const args = ['--bind', '@wacs/backend-onnx', '--model', `m=${small}`, '--', 'm', 'x=FP32:1x3:1,1,1'];
  const compiled = join(dir, 'nn-compute.cwasm');
  const canCompile = (await timedSpawn(node, [wacsBin, 'compile', wasm, '-o', compiled])).code === 0;
  const cacheRounds = quick ? 2 : 3;
  log('first run');
  const s = await interleave(cacheRounds, {
    empty: async () => {
      const cache = mkdtempSync(join(dir, 'cache-'));
      const r = await wacs([wasm, ...args], { WACS_CACHE_DIR: cache });
      rmSync(cache, { recursive: true, force: true });
      return r.wallMs;
    },
    cached: async () => (await wacs([wasm, ...args])).wallMs,
    ...(canCompile && {
      compiled: async () => {
        const cache = mkdtempSync(join(dir, 'cache-'));
        const r = await wacs([compiled, ...args], { WACS_CACHE_DIR: cache });
        rmSync(cache, { recursive: true, force: true });
        return r.wallMs;
      },
    }),
  });
  lines.push(
    `| first \`wacs run\` of nn-compute (12 MiB component), ${cacheRounds} rounds | wall ms |`,
    '|---|---|',
    `| not in the cache (jco transpiles it) | ${fmt(s.empty, 0)} |`,
    `| from the cache | ${fmt(s.cached, 0)} |`,
    canCompile ? `| from \`wacs compile\`'s artifact, empty cache | **${fmt(s.compiled, 0)}** |` : '| from `wacs compile`\'s artifact | (this wacs has no compile command) |',
    '',
  );
}

if (want('serve')) {
  const serve = spawnSync(node, [new URL('./serve.mjs', import.meta.url).pathname], { stdio: 'inherit' });
  if (serve.status !== 0) throw new Error(`bench/serve.mjs failed (exit ${serve.status})`);
  for (const file of ['./serve-results.md', './reliability-results.md']) {
    const path = new URL(file, import.meta.url);
    if (existsSync(path)) lines.push(readFileSync(path, 'utf8').trim(), '');
  }
}

rmSync(dir, { recursive: true, force: true });
const markdown = lines.join('\n');
console.log(markdown);
if (sections.length === 0) writeFileSync(new URL('./results.md', import.meta.url), `${markdown}\n`);
