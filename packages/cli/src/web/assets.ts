/**
 * What `wacs web` serves, found on this machine: the guest transpiled by jco (core's cache), the
 * models, @wacs/browser's page and worker, and the browser backends. A browser backend is a package
 * whose package.json says `"wacs": { "browser": "<self-contained ES module>", "engineAssets":
 * "<package>/<folder>" }`; the engine's files (its .wasm) are served from that folder.
 */
import { prepareComponent, wasmKind, type ModelSpec } from '@wacs/core';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../args.js';
import type { WebAssets } from './server.js';

/** The browser backends `wacs web` binds when given no --bind: ONNX models go to onnx-web, GGUF models to wllama. */
export const DEFAULT_BROWSER_BACKENDS = ['@wacs/backend-onnx-web', '@wacs/backend-wllama'];

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

export async function webAssets(request: WebRequest): Promise<WebAssets> {
  if (wasmKind(request.wasm) !== 'component') {
    throw new UsageError(`${request.guestPath}: wacs web runs component guests (WIT wasi:nn), and this is a preview1 core module; use wacs run for it`);
  }
  const models = await Promise.all(
    request.models.map(async ({ name, spec }) => {
      const info = await stat(spec.path).catch(() => undefined);
      if (!info?.isFile()) throw new UsageError(`--model ${name}: ${spec.path} is not a file (wacs web serves single-file models)`);
      return { name, file: spec.path, bytes: info.size, spec };
    }),
  );
  const files = (await Promise.all((request.dirs ?? []).map(folderFiles))).flat();
  const prepared = await prepareComponent(request.wasm);
  return {
    browserDist: browserDist(),
    coreDist: coreDist(),
    guestDir: prepared.dir,
    guestName: basename(request.guestPath).replace(/\.wasm$/, ''),
    guestBytes: request.wasm.byteLength,
    args: request.args,
    models,
    files,
    backends: (request.backends.length ? request.backends : DEFAULT_BROWSER_BACKENDS).map(browserBackend),
    ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}),
  };
}
