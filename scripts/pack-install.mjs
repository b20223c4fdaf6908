#!/usr/bin/env node
// Packs every publishable package the way it would be published, installs the tarballs into an
// empty project with npm as a user would, and runs that project's `wacs` on an example guest:
//
//   node scripts/pack-install.mjs [--keep] [--backends onnx,tfjs,…]
//
// 1. `pnpm pack` in each non-private package under packages/ (their dist/ must be built: `pnpm build`),
//    checking that no `workspace:` range is left in a packed package.json;
// 2. a temp project: `npm i <cli> <core> <backend-…>` from those tarballs (third-party
//    dependencies come from the npm registry; onnxruntime-node's CUDA download is skipped with
//    ONNXRUNTIME_NODE_INSTALL=skip, its CPU binaries ship in the package);
// 3. `wacs backends` and `wacs run nn-compute.wasm --model lin=lin.onnx -- lin x=…` there, with a
//    linear model made here, and the output compared with y = x·W + b computed by hand.
// Prints what it did; exits non-zero, saying why, when any step fails. --keep leaves the temp folders.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

// 1. Pack.
const work = mkdtempSync(join(tmpdir(), 'wacs-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const [pnpmCommand, pnpmPrefix] = pnpm();
const packed = new Map();
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const folder = join(root, 'packages', dir);
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
  packed.set(pkg.name, tarball);
  console.log(`packed ${pkg.name}@${manifest.version}: ${made[0]}, ${(statSync(tarball).size / 1024).toFixed(0)} KiB, ${files.length} files`);
}

// 2. Install into an empty project, as a user would.
const project = join(work, 'project');
mkdirSync(project);
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'wacs-pack-check', version: '1.0.0', private: true, type: 'module' }, null, 2));
const wanted = ['@wacs/cli', '@wacs/core', ...backends.map((b) => `@wacs/backend-${b}`)];
for (const name of wanted) if (!packed.has(name)) fail(`no tarball for ${name} (packed: ${[...packed.keys()].join(', ')})`);
// A backend that depends on another of ours (classic, genai → backend-onnx) needs its tarball too.
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

if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log('pack-install: ok');
