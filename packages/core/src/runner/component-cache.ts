/**
 * Component guests are transpiled by jco into JavaScript plus core wasm modules, once per component:
 * the result is cached on disk under the component's SHA-256 and BINDINGS_VERSION, so later runs
 * start from the cache (transpiling takes seconds; starting from the cache takes milliseconds).
 * `wacs compile` does the transpiling ahead of time into one file (component-artifact.ts), which
 * fills the cache without transpiling.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BINDINGS_REVISION, rewriteBindings } from './jco-bindings.js';

/** jco's version, part of the cache key (its package.json is not exported, so find it from the entry). */
export const JCO_VERSION: string = (() => {
  let dir = dirname(createRequire(import.meta.url).resolve('@bytecodealliance/jco'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
})();

/** What a transpile's bindings depend on: jco, and wacs's own pass over them. Part of the cache key and the artifact header. */
export const BINDINGS_VERSION = `${JCO_VERSION}+wacs.${BINDINGS_REVISION}`;

/** jco loads its own wasm tools when imported (~250 ms): only pay for that on a cache miss. */
function jco(): Promise<typeof import('@bytecodealliance/jco')> {
  return import('@bytecodealliance/jco');
}

export function defaultCacheDir(): string {
  return process.env.WACS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'wacs');
}

export interface ComponentInfo {
  /** Versioned interface names, e.g. `wasi:nn/graph@0.2.0-rc-2024-10-28`. */
  imports: string[];
  exports: string[];
}

export interface PreparedComponent extends ComponentInfo {
  /** Folder holding `guest.js` (jco's instantiate function) and the core modules. */
  dir: string;
  /** Where this run got it: the cache, a `wacs compile` artifact, or a transpile just now. */
  from: 'cache' | 'artifact' | 'transpiled';
}

/** jco's output for a component: its files (bindings and core modules) and its interfaces. */
export interface TranspiledComponent {
  info: ComponentInfo;
  files: Record<string, Uint8Array>;
}

/** The interfaces and functions a component imports and exports, with versions. */
export async function describeComponent(wasm: Uint8Array): Promise<ComponentInfo> {
  const { componentWit } = await jco();
  const wit = await componentWit(wasm);
  const world = wit.slice(wit.indexOf('world root'));
  const pick = (kind: string) =>
    [...world.matchAll(new RegExp(`^\\s*${kind} ([^;:{]+(?::[^;{]+)?)[;{]`, 'gm'))].map((m) => m[1]!.trim());
  return { imports: pick('import'), exports: pick('export') };
}

/**
 * The wasi:nn functions that wait for an engine, as jco names them: a JSPI transpile lets these
 * imports return promises, which suspend the guest until they settle.
 */
const NN_WAITING_FUNCTIONS: Record<string, string[]> = {
  'wasi:nn/graph': ['load', 'load-by-name', '[method]graph.init-execution-context'],
  'wasi:nn/inference': ['[method]graph-execution-context.compute'],
};

/** jco's JSPI settings for a command component: its waiting wasi:nn imports, and `run` as an async export. */
function jspiSettings(info: ComponentInfo): { asyncMode: 'jspi'; asyncImports: string[]; asyncExports: string[] } {
  const asyncImports = info.imports.flatMap((name) => (NN_WAITING_FUNCTIONS[name.split('@')[0]!] ?? []).map((fn) => `${name}#${fn}`));
  const asyncExports = info.exports.filter((name) => name.startsWith('wasi:cli/run@')).map((name) => `${name}#run`);
  return { asyncMode: 'jspi', asyncImports, asyncExports };
}

/**
 * jco's transpilation. With `jspi`, for browsers with JavaScript Promise Integration: the guest's
 * waiting wasi:nn imports may answer with promises (a host in the guest's own worker) and its
 * `run` returns a promise.
 */
export async function transpileComponent(wasm: Uint8Array, { jspi = false } = {}): Promise<TranspiledComponent> {
  const info = await describeComponent(wasm);
  const { transpile } = await jco();
  const settings = { name: 'guest', instantiation: 'async', typescript: false, ...(jspi ? jspiSettings(info) : {}) };
  const { files } = await transpile(wasm, settings as Parameters<typeof transpile>[1]);
  const bytes = Object.fromEntries(
    Object.entries(files).map(([name, content]) => {
      if (name !== 'guest.js') return [name, typeof content === 'string' ? new TextEncoder().encode(content) : (content as Uint8Array)];
      const text = typeof content === 'string' ? content : new TextDecoder().decode(content as Uint8Array);
      return [name, new TextEncoder().encode(rewriteBindings(text))];
    }),
  );
  return { info, files: bytes };
}

function cacheEntry(cacheDir: string, key: string): { dir: string; infoFile: string } {
  const dir = join(cacheDir, 'components', `${key}-jco${BINDINGS_VERSION}`);
  return { dir, infoFile: join(dir, 'info.json') };
}

async function fromCache(cacheDir: string, key: string): Promise<PreparedComponent | undefined> {
  const { dir, infoFile } = cacheEntry(cacheDir, key);
  if (!existsSync(infoFile)) return undefined;
  return { dir, from: 'cache', ...(JSON.parse(await readFile(infoFile, 'utf8')) as ComponentInfo) };
}

async function store(cacheDir: string, key: string, { info, files }: TranspiledComponent, from: PreparedComponent['from']): Promise<PreparedComponent> {
  const { dir } = cacheEntry(cacheDir, key);
  // Write to a private folder, then rename: concurrent runs never see half a cache entry.
  const tmp = `${dir}.tmp-${randomUUID()}`;
  for (const [name, content] of Object.entries(files)) {
    const path = join(tmp, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
  await writeFile(join(tmp, 'info.json'), JSON.stringify(info));
  await mkdir(dirname(dir), { recursive: true });
  try {
    await rename(tmp, dir);
  } catch {
    await rm(tmp, { recursive: true, force: true }); // another run won the race
  }
  return { dir, from, ...info };
}

/**
 * A component ready to run from the cache: found there, else taken from `artifact` (a `wacs
 * compile` output of this very component, when the caller has one), else transpiled now.
 */
export async function prepareComponent(wasm: Uint8Array, cacheDir = defaultCacheDir(), artifact?: (key: string) => Promise<TranspiledComponent | undefined>): Promise<PreparedComponent> {
  const key = createHash('sha256').update(wasm).digest('hex');
  const cached = await fromCache(cacheDir, key);
  if (cached) return cached;
  const prepared = await artifact?.(key);
  if (prepared) return store(cacheDir, key, prepared, 'artifact');
  return store(cacheDir, key, await transpileComponent(wasm), 'transpiled');
}

/** The JSPI transpilation of a component (see `transpileComponent`), cached beside the plain one. */
export async function prepareJspiComponent(wasm: Uint8Array, cacheDir = defaultCacheDir()): Promise<PreparedComponent> {
  const key = `${createHash('sha256').update(wasm).digest('hex')}-jspi`;
  return (await fromCache(cacheDir, key)) ?? store(cacheDir, key, await transpileComponent(wasm, { jspi: true }), 'transpiled');
}

/** A `wacs compile` artifact made ready to run: into the cache under its component's key, unless there already. */
export async function prepareCompiled(source: string, transpiled: TranspiledComponent, cacheDir = defaultCacheDir()): Promise<PreparedComponent> {
  return (await fromCache(cacheDir, source)) ?? store(cacheDir, source, transpiled, 'artifact');
}
