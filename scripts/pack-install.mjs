#!/usr/bin/env node
// Packs every publishable package the way it would be published, installs the tarballs into an
// empty project with npm as a user would, and runs that project's `wacs` on an example guest:
//
//   node scripts/pack-install.mjs [--keep] [--backends onnx,tfjs,…]
//
// 1. `pnpm pack` in each non-private package under packages/ and in guests/ (their dist/ must be
//    built: `pnpm build`), checking that no `workspace:` range is left in a packed package.json and
//    that @wacs/guests holds exactly the guests it declares;
// 2. a temp project: `npm i <cli> <core> <backend-…> <guests>` from those tarballs (third-party
//    dependencies come from the npm registry; onnxruntime-node's CUDA download is skipped with
//    ONNXRUNTIME_NODE_INSTALL=skip, its CPU binaries ship in the package);
// 3. `wacs backends`, `wacs run nn-compute.wasm --model lin=lin.onnx -- lin x=…` (a path) and
//    `wacs run @wacs/guests/nn-compute …` (a name) there, with a linear model made here, and the
//    output compared with y = x·W + b computed by hand; `wacs serve oip-server` (a name) answering
//    an Open Inference Protocol infer with the same y;
// 4. the README's quick start, its commands copied from the README as they are, run one by one in an
//    empty folder, with `npm i -g` installing into a temp prefix from a registry served here: our
//    tarballs, everything else passed through to the npm registry. `wacs backends` must print its
//    table first (no engine noise before it), and the last command the README's printed result,
//    which must be y = x·W + b for the README's model, computed by hand.
// Prints what it did; exits non-zero, saying why, when any step fails. --keep leaves the temp folders.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { rootCertificates } from 'node:tls';
import { basename, delimiter, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const backendsArg = args.includes('--backends') ? args[args.indexOf('--backends') + 1] : 'onnx';
const backends = backendsArg.split(',').filter(Boolean);

function fail(message) {
  console.error(`pack-install: ${message}`);
  process.exit(1);
}

// Whatever throws past the steps below still ends the run with a reason the packaging test shows.
process.on('uncaughtException', (e) => fail(`unexpected error: ${e.stack ?? e}`));
process.on('unhandledRejection', (e) => fail(`unexpected error: ${e?.stack ?? e}`));

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (result.error) fail(`${command} ${commandArgs.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${commandArgs.join(' ')} exited ${result.status ?? result.signal}:\n${result.stderr || result.stdout}`);
  return result.stdout;
}

/** pnpm as the repository pins it: on PATH, else through npx like CI (.ci/run). */
function pnpm() {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager ?? 'pnpm';
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  return onPath.status === 0 ? ['pnpm', []] : ['npx', ['-y', pinned]];
}

/** A guest package ships every guest it declares, and no guest it does not (the test and fuzz guests). */
function checkGuestFiles(manifest, files) {
  const declared = Object.values(manifest.wacs.guests).map((path) => `package/${path.replace(/^\.\//, '')}`);
  const missing = declared.filter((f) => !files.includes(f));
  if (missing.length) fail(`${manifest.name}'s tarball lacks guests it declares: ${missing.join(', ')}`);
  const undeclared = files.filter((f) => f.endsWith('.wasm') && !declared.includes(f));
  if (undeclared.length) fail(`${manifest.name}'s tarball has .wasm files it does not declare as guests: ${undeclared.join(', ')}`);
  // Each component guest comes prepared (the .wacs pnpm build made beside it), so its first run does not transpile.
  const beside = (f) => f.replace(/\.wasm$/, '.wacs');
  const prepared = declared.filter((f) => existsSync(join(root, 'guests', beside(f).replace(/^package\//, ''))));
  const unprepared = prepared.filter((f) => !files.includes(beside(f)));
  if (unprepared.length) fail(`${manifest.name}'s tarball lacks the prepared artifacts of ${unprepared.join(', ')}`);
  const strays = files.filter((f) => f.endsWith('.wacs') && !declared.some((d) => beside(d) === f));
  if (strays.length) fail(`${manifest.name}'s tarball has .wacs files beside no guest it declares: ${strays.join(', ')}`);
  console.log(`${manifest.name} ships ${declared.length} guests: ${Object.keys(manifest.wacs.guests).join(', ')}`);
  console.log(`${manifest.name} ships ${prepared.length} prepared artifacts, beside ${prepared.map((f) => basename(f, '.wasm')).join(', ')}`);
}

// 1. Pack.
const work = mkdtempSync(join(tmpdir(), 'wacs-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const [pnpmCommand, pnpmPrefix] = pnpm();
const packed = new Map();
const packageDirs = [...readdirSync(join(root, 'packages')).sort().map((dir) => `packages/${dir}`), 'guests'];
for (const dir of packageDirs) {
  const folder = join(root, dir);
  if (!existsSync(join(folder, 'package.json'))) continue;
  const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  if (!existsSync(join(folder, 'dist'))) fail(`${pkg.name} has no dist/: build first (pnpm build)`);
  const before = new Set(readdirSync(tarballs));
  run(pnpmCommand, [...pnpmPrefix, 'pack', '--pack-destination', tarballs], { cwd: folder });
  const made = readdirSync(tarballs).filter((f) => !before.has(f));
  if (made.length !== 1) fail(`pnpm pack in ${dir} made ${made.length} tarballs`);
  const tarball = join(tarballs, made[0]);
  const manifest = JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  const ranges = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
  const leftover = Object.entries(ranges).filter(([, range]) => String(range).startsWith('workspace:'));
  if (leftover.length) fail(`${pkg.name}'s packed package.json still has workspace ranges: ${leftover.map(([n, r]) => `${n}@${r}`).join(', ')}`);
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  if (!files.some((f) => f.startsWith('package/dist/'))) fail(`${pkg.name}'s tarball has no dist/`);
  if (manifest.wacs?.guests) checkGuestFiles(manifest, files);
  packed.set(pkg.name, tarball);
  console.log(`packed ${pkg.name}@${manifest.version}: ${made[0]}, ${(statSync(tarball).size / 1024).toFixed(0)} KiB, ${files.length} files`);
}

// 2. Install into an empty project, as a user would.
const project = join(work, 'project');
mkdirSync(project);
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'wacs-pack-check', version: '1.0.0', private: true, type: 'module' }, null, 2));
const wanted = ['@wacs/cli', '@wacs/core', ...backends.map((b) => `@wacs/backend-${b}`), '@wacs/guests'];
for (const name of wanted) if (!packed.has(name)) fail(`no tarball for ${name} (packed: ${[...packed.keys()].join(', ')})`);
// A package that depends on another of ours (onnx, genai, classic → @wacs/onnxruntime) needs its tarball too.
const installs = new Set(wanted);
for (const name of wanted) {
  const manifest = JSON.parse(execFileSync('tar', ['-xOzf', packed.get(name), 'package/package.json'], { encoding: 'utf8' }));
  for (const dep of Object.keys(manifest.dependencies ?? {})) if (packed.has(dep)) installs.add(dep);
}
const started = Date.now();
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...[...installs].map((n) => packed.get(n))], {
  cwd: project,
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
});
console.log(`npm install of ${[...installs].join(', ')}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const name of installs) {
  const installed = join(project, 'node_modules', name, 'package.json');
  if (!existsSync(installed)) fail(`${name} is not in the project's node_modules`);
}
// Our packages resolve to the tarballs, once: a nested copy would mean npm looked elsewhere.
const nested = readdirSync(join(project, 'node_modules/@wacs')).filter((n) => existsSync(join(project, 'node_modules/@wacs', n, 'node_modules/@wacs')));
if (nested.length) fail(`nested @wacs packages under ${nested.join(', ')}: the tarballs did not satisfy each other`);

// 3. Run the installed CLI there.
const fixtures = await import(pathToFileURL(join(root, 'packages/fixtures/dist/index.js')).href);
const W = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const b = [0.5, -1];
writeFileSync(join(project, 'lin.onnx'), fixtures.linearModel(W, b));
const guest = join(root, 'guests/dist/nn-compute.wasm');
if (!existsSync(guest)) fail('guests/dist/nn-compute.wasm is not built (pnpm build)');
copyFileSync(guest, join(project, 'nn-compute.wasm'));
const wacs = join(project, 'node_modules/.bin/wacs');

const listed = run(wacs, ['backends'], { cwd: project });
for (const backend of backends) if (!listed.includes(`@wacs/backend-${backend}`)) fail(`wacs backends does not list @wacs/backend-${backend}:\n${listed}`);
// @wacs/onnxruntime came along as backend-onnx's dependency: a library, which must not be listed.
if (installs.has('@wacs/onnxruntime') && listed.includes('@wacs/onnxruntime')) fail(`wacs backends lists the library @wacs/onnxruntime as a backend:\n${listed}`);
console.log(`wacs backends lists ${backends.map((b) => `@wacs/backend-${b}`).join(', ')}`);

const x = [
  [1, 2, 3],
  [4, 5, 6],
];
const expected = x.flatMap((row) => b.map((bias, j) => row.reduce((sum, v, k) => sum + v * W[k][j], bias)));
const output = run(wacs, ['run', 'nn-compute.wasm', '--model', 'lin=lin.onnx', '--', 'lin', `x=FP32:2x3:${x.flat().join(',')}`], { cwd: project });
const line = output.split('\n').find((l) => l.startsWith('y '));
const want = `y FP32 [2,2] ${expected.join(' ')}`;
if (line !== want) fail(`wacs run printed ${JSON.stringify(line)}, expected ${JSON.stringify(want)} (y = x·W + b by hand):\n${output}`);
console.log(`wacs run nn-compute.wasm in the project: ${line} (as computed by hand)`);

// A first run (empty component cache) of a shipped guest starts from its shipped artifact, not a transpile.
const firstRun = { ...process.env, WACS_CACHE_DIR: join(work, 'first-run-cache'), WACS_TRACE: '1' };
const byNameRun = spawnSync(wacs, ['run', '@wacs/guests/nn-compute', '--model', 'lin=lin.onnx', '--', 'lin', `x=FP32:2x3:${x.flat().join(',')}`], { cwd: project, env: firstRun, encoding: 'utf8' });
if (byNameRun.status !== 0) fail(`wacs run @wacs/guests/nn-compute exited ${byNameRun.status ?? byNameRun.signal}:\n${byNameRun.stderr}`);
const byNameLine = byNameRun.stdout.split('\n').find((l) => l.startsWith('y '));
if (byNameLine !== want) fail(`wacs run @wacs/guests/nn-compute printed ${JSON.stringify(byNameLine)}, expected ${JSON.stringify(want)}:\n${byNameRun.stdout}`);
console.log(`wacs run @wacs/guests/nn-compute in the project: ${byNameLine} (as computed by hand)`);
const from = byNameRun.stderr.match(/^wacs-trace component-from-(\S+) /m)?.[1];
if (from !== 'artifact') fail(`the first run of @wacs/guests/nn-compute started from ${from ?? 'nowhere traced'}, not from the artifact shipped beside it:\n${byNameRun.stderr}`);
console.log('wacs run @wacs/guests/nn-compute, first run: started from the shipped artifact (no transpile)');

// `wacs serve` takes the serving guests by name too: oip-server answers an OIP infer with y.
await serveByName();

// 4. The README's quick start, verbatim, in an empty folder.
await quickStart();

async function serveByName() {
  const child = spawn(wacs, ['serve', 'oip-server', '--port', '0', '--json', '--instances', '1', '--model', 'lin=lin.onnx'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line).url);
      });
      exited.then((code) => reject(new Error(`exited ${code}`)));
    });
    const response = await fetch(`${url}/v2/models/lin/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: x.flat() }] }),
    });
    const output = (await response.json()).outputs?.[0];
    const got = output && `${output.name} ${output.datatype} [${output.shape}] ${output.data.join(' ')}`;
    if (got !== want) fail(`wacs serve oip-server answered ${response.status} ${JSON.stringify(output)}, expected ${want} (y = x·W + b by hand)`);
    console.log(`wacs serve oip-server in the project: ${got} (as computed by hand)`);
  } catch (e) {
    fail(`wacs serve oip-server in the project: ${e.message}\n${stderr}`);
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) fail(`wacs serve oip-server exited ${code} after SIGTERM:\n${stderr}`);
  }
}

async function quickStart() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quick start\n');
  const end = readme.indexOf('\n## ', start + 1);
  const section = start < 0 ? '' : readme.slice(start, end < 0 ? undefined : end);
  const block = (lang) => [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].find((m) => m[1] === lang)?.[2];
  const commands = block('sh')?.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const printed = block('text')?.trimEnd();
  if (!commands?.length || !printed) fail('README.md has no "## Quick start" section with a ```sh block of commands and a ```text block of what the last one prints');

  // The README's model and input, worked by hand: y = x·W + b.
  const byHand = `y FP32 [2,2] ${expected.join(' ')}`;
  if (!printed.split('\n').includes(byHand)) fail(`the README's quick start says the result is\n${printed}\nbut y = x·W + b by hand is ${byHand}`);

  const registry = await serveRegistry();
  const prefix = join(work, 'global');
  const folder = join(work, 'quickstart');
  mkdirSync(folder);
  const env = {
    ...process.env,
    PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH}`,
    npm_config_prefix: prefix,
    npm_config_registry: registry.url,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    WACS_CACHE_DIR: join(work, 'cache'), // a first run, as on a new machine
  };
  try {
    let output = '';
    for (const command of commands) {
      const log = join(work, 'command.log');
      const fd = openSync(log, 'w');
      const started = Date.now();
      // One file for stdout and stderr: what a terminal shows, in the order it shows it.
      // Not spawnSync: the registry answering npm runs on this process's event loop.
      const status = await new Promise((resolve, reject) => {
        const child = spawn('bash', ['-c', command], { cwd: folder, env, stdio: ['ignore', fd, fd] });
        child.on('error', reject);
        child.on('close', (code, signal) => resolve(code ?? signal));
      });
      closeSync(fd);
      output = readFileSync(log, 'utf8');
      if (status !== 0) fail(`quick start: \`${command}\` exited ${status}:\n${output}`);
      console.log(`quick start: \`${command}\` ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (/^wacs backends\b/.test(command)) {
        const first = output.split('\n')[0];
        if (!/^@wacs\/backend-\S+@\d+\.\d+\.\d+ {2}\(name: /.test(first)) fail(`quick start: wacs backends must start with its table, but its output starts with ${JSON.stringify(first)}:\n${output}`);
        console.log(`quick start: wacs backends starts with its table: ${first}`);
      }
    }
    if (!output.includes(printed)) fail(`quick start: the last command printed\n${output}\nnot what the README says:\n${printed}`);
    console.log(`quick start: the last command printed what the README says (${byHand}, as computed by hand)`);
  } finally {
    await registry.close();
  }
}

/**
 * The certificate authorities npm trusts for the registry: its `cafile` setting (a machine whose
 * route to the registry re-signs TLS sets one) beside Node's own. Node is told of that file by
 * NODE_EXTRA_CA_CERTS only where the environment says so, and a test runner may not pass it on.
 */
function npmTrustedCas() {
  const file = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8', cwd: tmpdir() }).trim();
  if (!file || file === 'null' || file === 'undefined' || !existsSync(file)) return undefined;
  return [...rootCertificates, readFileSync(file, 'utf8')];
}

/** One GET to the registry; a connection quiet for 30 s (waiting for the answer, or in its body) is dropped. */
function getUpstream(url, accept, ca) {
  const idleSeconds = 30;
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'http:' ? httpGet : httpsGet)(url, { headers: { accept }, timeout: idleSeconds * 1000, ...(ca ? { ca } : {}) }, resolve);
    request.on('timeout', () => request.destroy(new Error(`no data for ${idleSeconds} s`)));
    request.on('error', reject);
  });
}

/**
 * The upstream registry's answer, retried with backoff when the request fails, hangs, or the
 * registry answers 5xx or 429: this machine's route to the registry drops or stalls requests now
 * and then, and one 502 passed on to npm (or one stalled answer, which npm waits 5 minutes for)
 * failed or stalled the whole quick start. A body that stalls midway ends npm's response early,
 * and npm retries.
 */
async function fetchUpstream(url, accept, ca) {
  const attempts = 6;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await getUpstream(url, accept, ca);
      if ((response.statusCode < 500 && response.statusCode !== 429) || attempt === attempts) return response;
      response.resume();
      console.error(`registry proxy: the registry answered ${response.statusCode} for ${url} (try ${attempt} of ${attempts}); retrying`);
    } catch (e) {
      if (attempt === attempts) throw e;
      console.error(`registry proxy: fetching ${url} failed (${e.code ?? e.message}; try ${attempt} of ${attempts}); retrying`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1)));
  }
}

/**
 * A registry for npm: our tarballs under their names, every other request passed through to the
 * npm registry this machine uses, so `npm i -g @wacs/…` runs as written.
 */
async function serveRegistry() {
  const upstream = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', cwd: tmpdir() }).trim().replace(/\/?$/, '/');
  const ca = npmTrustedCas();
  const ours = new Map();
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(req.url.split('?')[0]).replace(/^\//, '');
      if (path.startsWith('-/wacs/')) {
        const file = join(tarballs, basename(path));
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        await pipeline(createReadStream(file), res);
        return;
      }
      if (ours.has(path)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ours.get(path)));
        return;
      }
      const response = await fetchUpstream(new URL(req.url.replace(/^\//, ''), upstream), req.headers.accept ?? '*/*', ca);
      res.writeHead(response.statusCode, { 'content-type': response.headers['content-type'] ?? 'application/octet-stream' });
      // A download the upstream drops midway ends this response early; npm sees it and retries.
      await pipeline(response, res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(502).end(String(e));
      else res.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  for (const [name, tarball] of packed) {
    const manifest = JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    const bytes = readFileSync(tarball);
    const dist = {
      tarball: `${url}-/wacs/${basename(tarball)}`,
      integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      shasum: createHash('sha1').update(bytes).digest('hex'),
    };
    ours.set(name, { name, 'dist-tags': { latest: manifest.version }, versions: { [manifest.version]: { ...manifest, _id: `${name}@${manifest.version}`, dist } } });
  }
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log('pack-install: ok');
