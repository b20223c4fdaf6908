/**
 * What `wacs web` serves, found on this machine: the guest transpiled by jco (core's cache), the
 * models, @wacs/browser's page and worker, and the browser backends. A browser backend is a package
 * whose package.json says `"wacs": { "browser": "<self-contained ES module>", "engineAssets":
 * "<package>/<folder>" }`; the engine's files (its .wasm) are served from that folder.
 */
import { prepareComponent, prepareJspiComponent, wasmKind, type ModelSpec } from '@wacs/core';
import { probePath } from '@wacs/core/backend/node';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../args.js';
import type { WebAssets } from './server.js';

/**
 * The browser backends for each model format core sniffs (`FormatProbe.format`), highest priority
 * first; `onnx-ml` is an ONNX file that names the ai.onnx.ml domain: classic takes it when its
 * nodes use that domain (its `detect` checks), onnx-web otherwise.
 */
export const BROWSER_BACKENDS_FOR_FORMAT: Record<string, string[]> = {
  onnx: ['@wacs/backend-onnx-web'],
  'onnx-ml': ['@wacs/backend-classic', '@wacs/backend-onnx-web'],
  'tfjs-model': ['@wacs/backend-tfjs'],
  pmml: ['@wacs/backend-classic'],
  xml: ['@wacs/backend-classic'],
  json: ['@wacs/backend-classic'],
  gguf: ['@wacs/backend-wllama'],
};

/** What `wacs web` binds without --bind when no served model says otherwise (a guest that loads its own bytes). */
export const DEFAULT_BROWSER_BACKENDS = ['@wacs/backend-onnx-web'];

/** The browser backends for the served models' formats, in model order; the default when none has one. */
export function backendsForModels(formats: Array<string | undefined>): string[] {
  const chosen = [...new Set(formats.flatMap((format) => BROWSER_BACKENDS_FOR_FORMAT[format ?? ''] ?? []))];
  return chosen.length ? chosen : DEFAULT_BROWSER_BACKENDS;
}

interface BrowserPackageJson {
  name?: string;
  wacs?: { browser?: string; engineAssets?: string };
}

/**
 * The folder of an installed package, found as Node finds it (node_modules folders upwards from
 * each base folder in turn), without resolving its entry: browser packages export no `require`.
 */
function packageDir(name: string, fromDirs: string[]): string | undefined {
  for (const start of fromDirs) {
    for (let dir = start; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

const here = dirname(fileURLToPath(import.meta.url));
const lookupBases = () => [process.cwd(), here];

export function browserBackend(name: string): WebAssets['backends'][number] {
  const dir = packageDir(name, lookupBases());
  if (!dir) throw new UsageError(`browser backend ${name} is not installed (npm install ${name})`);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as BrowserPackageJson;
  if (!pkg.wacs?.browser) throw new UsageError(`${name} is not a browser backend (its package.json has no "wacs": { "browser": … })`);
  const bundle = join(dir, pkg.wacs.browser);
  if (!existsSync(bundle)) throw new UsageError(`${name}: ${pkg.wacs.browser} is missing (is the package built?)`);
  let assetsDir: string | undefined;
  if (pkg.wacs.engineAssets) {
    const [scopeOrName, ...more] = pkg.wacs.engineAssets.split('/');
    const engine = scopeOrName!.startsWith('@') ? `${scopeOrName}/${more.shift()}` : scopeOrName!;
    const engineDir = packageDir(engine, [dir]);
    if (!engineDir) throw new UsageError(`${name}: its engine ${engine} is not installed`);
    assetsDir = join(engineDir, ...more);
  }
  return { package: name, bundle, ...(assetsDir ? { assetsDir } : {}) };
}

function distOf(name: string): string {
  const dir = packageDir(name, [here]);
  if (!dir) throw new Error(`${name} is not installed next to wacs`);
  return join(dir, 'dist');
}

export const browserDist = () => distOf('@wacs/browser');
export const coreDist = () => distOf('@wacs/core');

export interface WebRequest {
  guestPath: string;
  wasm: Uint8Array;
  args: string[];
  models: Array<{ name: string; spec: ModelSpec }>;
  /** Host folders copied into the guest's in-page file system (`--dir host::guest`). */
  dirs?: Array<{ host: string; guest: string }>;
  /** A host file given to the guest as its standard input (`--stdin`). */
  stdin?: string;
  backends: string[];
  timeoutMs?: number;
}

/**
 * Every file under a host folder, with the path the guest sees it at (the page's file system is a
 * copy, read-only in effect: nothing the guest writes comes back).
 */
async function folderFiles(dir: { host: string; guest: string }): Promise<WebAssets['files']> {
  const info = await stat(dir.host).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--dir ${dir.host}: not a folder`);
  const entries = await readdir(dir.host, { recursive: true, withFileTypes: true });
  const files = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map(async (entry) => {
        const file = join(entry.parentPath, entry.name);
        const relative = file.slice(dir.host.replace(/\/+$/, '').length + 1);
        return { path: posix.join(dir.guest, ...relative.split('/')), file, bytes: (await stat(file)).size };
      }),
  );
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * A model to serve: a file, or a tfjs model folder (model.json and the weight files beside it,
 * served under the model's name, model.json its entry).
 */
async function servedModel({ name, spec }: { name: string; spec: ModelSpec }): Promise<WebAssets['models'][number] & { format?: string }> {
  const probe = await probePath(spec.path).catch(() => undefined);
  if (!probe) throw new UsageError(`--model ${name}: ${spec.path} does not exist`);
  if (!probe.isDirectory) {
    // The domain's name is in the file's opset imports (often after the weights: the whole file is searched).
    const format = probe.format === 'onnx' && (await readFile(spec.path)).includes('ai.onnx.ml') ? 'onnx-ml' : probe.format;
    return { name, file: spec.path, bytes: (await stat(spec.path)).size, spec, format };
  }
  if (probe.format !== 'tfjs-model') {
    throw new UsageError(`--model ${name}: ${spec.path} is a folder, and wacs web serves single-file models and TensorFlow.js model folders (model.json and its weights)`);
  }
  const folder = await folderFiles({ host: spec.path, guest: '/' });
  return { name, file: join(spec.path, 'model.json'), dir: spec.path, bytes: folder.reduce((n, f) => n + f.bytes, 0), spec, format: probe.format };
}

export async function webAssets(request: WebRequest): Promise<WebAssets> {
  if (wasmKind(request.wasm) !== 'component') {
    throw new UsageError(`${request.guestPath}: wacs web runs component guests (WIT wasi:nn), and this is a preview1 core module; use wacs run for it`);
  }
  const models = await Promise.all(request.models.map(servedModel));
  const files = (await Promise.all((request.dirs ?? []).map(folderFiles))).flat();
  let stdin: WebAssets['stdin'];
  if (request.stdin !== undefined) {
    const info = await stat(request.stdin).catch(() => undefined);
    if (!info?.isFile()) throw new UsageError(`--stdin ${request.stdin}: not a file`);
    stdin = { file: request.stdin, bytes: info.size };
  }
  const prepared = await prepareComponent(request.wasm);
  // For browsers with JSPI, where the guest's worker hosts the backends itself.
  const jspi = await prepareJspiComponent(request.wasm);
  return {
    browserDist: browserDist(),
    coreDist: coreDist(),
    guestDir: prepared.dir,
    guestJspiDir: jspi.dir,
    guestName: basename(request.guestPath).replace(/\.wasm$/, ''),
    guestBytes: request.wasm.byteLength,
    args: request.args,
    models,
    files,
    ...(stdin ? { stdin } : {}),
    backends: (request.backends.length ? request.backends : backendsForModels(models.map((m) => m.format))).map(browserBackend),
    ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}),
  };
}
