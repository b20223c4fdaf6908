// Builds every guest folder into dist/<name>.wasm, a WebAssembly component, and the tools in tools/
// into dist/<tool>.js (one bundled script each, e.g. wacs-example-model). A <name>/main.ts guest:
// esbuild bundles the TypeScript into one ES module, componentize-js turns it into a component of
// the world in wit/world.wit. A <name>/main.wat guest: jco assembles it and wraps the core module
// into a component with the WASI preview1 command adapter that ships with jco. Componentizing takes seconds and makes ~12 MB, so a guest is rebuilt
// only when its sources, the library or the WIT change (dist/<name>.hash), and turbo caches dist/.
// Each component is also prepared ahead of time into dist/<name>.wacs (what `wacs compile --thin` writes),
// which `wacs run dist/<name>.wasm` uses on its first run instead of transpiling for seconds.
import { componentize } from '@bytecodealliance/componentize-js';
import { rewriteBindings } from './bindings.mjs';
import { componentNew, parse } from '@bytecodealliance/jco';
import { ArtifactError, packArtifact, transpileComponent, unpackArtifact } from '@wacs/core';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const root = new URL('.', import.meta.url).pathname;
const only = process.argv.slice(2);

async function hashFiles(paths) {
  const hash = createHash('sha256');
  for (const path of paths.sort()) hash.update(path).update(await readFile(path));
  return hash.digest('hex');
}

async function filesUnder(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? entry.path, entry.name));
  }
  return out;
}

// The wasi:nn WIT lives in @wacs/core; componentize-js reads WIT through a sandbox that cannot follow links.
await mkdir(join(root, 'wit/deps/nn'), { recursive: true });
await copyFile(join(root, '../packages/core/wit/wasi-nn.wit'), join(root, 'wit/deps/nn/wasi-nn.wit'));

const shared = [...(await filesUnder(join(root, 'lib'))), ...(await filesUnder(join(root, 'wit'))), join(root, 'build.mjs'), join(root, 'bindings.mjs')];
const guests = (await readdir(root, { withFileTypes: true }))
  .filter((e) => e.isDirectory() && (existsSync(join(root, e.name, 'main.ts')) || existsSync(join(root, e.name, 'main.wat'))))
  .map((e) => e.name)
  .filter((name) => only.length === 0 || only.includes(name));

async function watComponent(path) {
  const module = await parse(await readFile(path, 'utf8'));
  const jcoDir = dirname(createRequire(import.meta.url).resolve('@bytecodealliance/jco'));
  const adapter = await readFile(join(jcoDir, '../lib/wasi_snapshot_preview1.command.wasm'));
  return componentNew(module, [['wasi_snapshot_preview1', adapter]]);
}

/**
 * Writes dist/<name>.wacs unless the one there was made from this component by this jco: a thin
 * artifact (its core modules read from the .wasm beside it), so @wacs/guests can ship one per guest.
 */
async function prepareAhead(name) {
  const wasm = await readFile(join(root, 'dist', `${name}.wasm`));
  const source = createHash('sha256').update(wasm).digest('hex');
  const path = join(root, 'dist', `${name}.wacs`);
  if (existsSync(path)) {
    try {
      if (unpackArtifact(await readFile(path), path, wasm).source === source) return;
    } catch (e) {
      if (!(e instanceof ArtifactError)) throw e;
    }
  }
  const started = Date.now();
  await writeFile(path, packArtifact(source, await transpileComponent(wasm), wasm));
  console.log(`${name}: prepared ${name}.wacs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await mkdir(join(root, 'dist'), { recursive: true });
for (const name of guests) {
  const hash = await hashFiles([...shared, ...(await filesUnder(join(root, name)))]);
  const stamp = join(root, 'dist', `${name}.hash`);
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')) === hash && existsSync(join(root, 'dist', `${name}.wasm`))) {
    console.log(`${name}: up to date`);
    await prepareAhead(name);
    continue;
  }
  const started = Date.now();
  if (existsSync(join(root, name, 'main.wat'))) {
    const component = await watComponent(join(root, name, 'main.wat'));
    await writeFile(join(root, 'dist', `${name}.wasm`), component);
    await writeFile(stamp, hash);
    console.log(`${name}: built ${(component.length / 1024).toFixed(0)} KiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await prepareAhead(name);
    continue;
  }
  const bundle = await build({
    entryPoints: [join(root, name, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    external: ['wasi:*'],
  });
  const source = bundle.outputFiles[0].text;
  await writeFile(join(root, 'dist', `${name}.js`), source);
  // guest.json's `world`: nn-command (a WASI command, the default) or nn-http (a wasi:http service
  // for `wacs serve`, which needs the engine's http feature for the wasi:http types).
  const manifest = join(root, name, 'guest.json');
  const { world = 'nn-command' } = existsSync(manifest) ? JSON.parse(await readFile(manifest, 'utf8')) : {};
  let rewritten;
  const { component } = await componentize(source, {
    witPath: join(root, 'wit'),
    worldName: world,
    disableFeatures: world === 'nn-http' ? [] : ['http'],
    rewriteBindings: (js) => (rewritten = rewriteBindings(js)).js,
  });
  // The hook is a patch of ours: a componentize-js without it would build the guest unchanged, and slower.
  if (!rewritten?.handles) throw new Error(`${name}: componentize-js did not pass its bindings to rewriteBindings (is patches/ applied?)`);
  await writeFile(join(root, 'dist', `${name}.wasm`), component);
  await writeFile(stamp, hash);
  console.log(`${name}: built ${(component.length / 2 ** 20).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await prepareAhead(name);
}

// tools/<tool>.ts → dist/<tool>.js: one self-contained script each, so the published package needs no dependencies.
if (only.length === 0) {
  for (const entry of await readdir(join(root, 'tools'))) {
    if (!entry.endsWith('.ts')) continue;
    await build({
      entryPoints: [join(root, 'tools', entry)],
      outfile: join(root, 'dist', entry.replace(/\.ts$/, '.js')),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      banner: { js: '#!/usr/bin/env node\nimport { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
      logLevel: 'warning',
    });
    console.log(`tools/${entry}: bundled`);
  }
}
