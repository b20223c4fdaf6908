/**
 * The loopback HTTP server behind `wacs web`. It serves one page and everything the page needs
 * from local files: @wacs/browser's page script and guest worker, core's browser-safe entries (the
 * page's import map points `@wacs/core/backend` and `@wacs/core/browser` there, so the page and the
 * backends share them), the guest transpiled by jco, the browser backends' bundles and their
 * engines' files (.wasm, .mjs), the models, and the files given for the guest's file system. Nothing
 * comes from elsewhere: the page's Content-Security-Policy allows this origin only. Every response
 * carries COOP/COEP, which make the page cross-origin isolated (shared memory for the bridge).
 *
 * Where the browser has JSPI, the guest's worker imports the backends' bundles itself. Workers have
 * no import maps, so the bundles are served with their imports of core's entries resolved to the
 * URLs under /core/ (the page gets the same copy either way).
 */
import type { WebConfig } from '@wacs/browser';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { PAGE_CSP, PAGE_HTML } from './page.js';

export interface WebAssets {
  /** @wacs/browser's dist folder (app.js, worker.js). */
  browserDist: string;
  /** @wacs/core's dist folder: its browser-safe entries and the chunks they import. */
  coreDist: string;
  /** The jco transpilation of the guest (guest.js and its core modules). */
  guestDir: string;
  /** Its JSPI transpilation, served under the guest's `jspi/`. */
  guestJspiDir?: string;
  guestName: string;
  guestBytes: number;
  args: string[];
  /** `file` is the model, or the entry (model.json) of a model folder `dir` whose files are served beside it. */
  models: Array<{ name: string; file: string; dir?: string; bytes: number; spec: WebConfig['models'][string]['spec'] }>;
  /** Files for the guest's file system: the path the guest sees, the host file. */
  files: Array<{ path: string; file: string; bytes: number }>;
  /** The guest's standard input. */
  stdin?: { file: string; bytes: number };
  backends: Array<{ package: string; bundle: string; assetsDir?: string }>;
  timeoutMs?: number;
}

export interface WebServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

export function webConfig(assets: WebAssets): WebConfig {
  return {
    guest: {
      name: assets.guestName,
      url: `guest/${assets.guestName}/guest.js`,
      ...(assets.guestJspiDir ? { jspiUrl: `guest/${assets.guestName}/jspi/guest.js` } : {}),
      bytes: assets.guestBytes,
    },
    args: assets.args,
    models: Object.fromEntries(assets.models.map((m) => [m.name, { spec: { ...m.spec, path: modelUrl(m) }, file: basename(m.dir ?? m.file), bytes: m.bytes }])),
    files: assets.files.map((f, i) => ({ path: f.path, url: `files/${i}`, bytes: f.bytes })),
    ...(assets.stdin ? { stdin: { url: 'stdin', bytes: assets.stdin.bytes } } : {}),
    backends: assets.backends.map((b, i) => ({ package: b.package, url: `backends/${i}.js`, ...(b.assetsDir ? { assetsUrl: `/engines/${i}/` } : {}) })),
    ...(assets.timeoutMs ? { timeoutMs: assets.timeoutMs } : {}),
  };
}

/** A model's URL on the server: the file, or the entry of a folder, its other files beside it. */
function modelUrl(model: WebAssets['models'][number]): string {
  const base = `models/${encodeURIComponent(model.name)}`;
  return model.dir ? `${base}/${relative(model.dir, model.file).split(sep).map(encodeURIComponent).join('/')}` : base;
}

/** A file under `root`, or undefined for a path that climbs out of it. */
function under(root: string, path: string): string | undefined {
  const file = resolve(root, decodeURIComponent(path));
  const rel = relative(root, file);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? file : undefined;
}

/** Which local file a request path names, if any. */
function route(assets: WebAssets, path: string): string | undefined {
  const [, first, ...rest] = path.split('/');
  const tail = rest.join('/');
  switch (first) {
    // index.js: @wacs/browser's runGuest, for scripts of your own against what this server serves.
    case 'index.js':
    case 'index.js.map':
    case 'app.js':
    case 'app.js.map':
    case 'worker.js':
    case 'worker.js.map':
      return join(assets.browserDist, first);
    case 'core':
      // core's browser-safe entries and their chunks; its Node entries and workers are not served.
      return /^(backend|browser|chunk-\w+)\.js(\.map)?$/.test(tail) ? join(assets.coreDist, tail) : undefined;
    case 'guest':
      if (rest[0] !== assets.guestName) return undefined;
      if (rest[1] === 'jspi') return assets.guestJspiDir ? under(assets.guestJspiDir, rest.slice(2).join('/')) : undefined;
      return under(assets.guestDir, rest.slice(1).join('/'));
    case 'models': {
      const model = assets.models.find((m) => m.name === decodeURIComponent(rest[0] ?? ''));
      if (!model) return undefined;
      if (rest.length === 1) return model.dir ? undefined : model.file;
      return model.dir ? under(model.dir, rest.slice(1).join('/')) : undefined;
    }
    case 'stdin':
      return rest.length === 0 ? assets.stdin?.file : undefined;
    case 'files':
      return /^\d+$/.test(tail) ? assets.files[Number(tail)]?.file : undefined;
    case 'backends':
      return assets.backends[Number(/^(\d+)\.js$/.exec(tail)?.[1] ?? -1)]?.bundle;
    case 'engines': {
      const dir = assets.backends[Number(rest[0])]?.assetsDir;
      return dir ? under(dir, rest.slice(1).join('/')) : undefined;
    }
    default:
      return undefined;
  }
}

/** `from "@wacs/core/backend"` and the like, in a bundle esbuild wrote. */
const CORE_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'])@wacs\/core\/(backend|browser)\2/g;

/** A backend bundle with its imports of core's entries as URLs under /core/ (for workers, which have no import map). */
export function resolveCoreImports(code: string): string {
  return code.replace(CORE_IMPORT, (_, keyword: string, quote: string, entry: string) => `${keyword}${quote}/core/${entry}.js${quote}`);
}

async function serve(assets: WebAssets, resolvedBundles: Map<string, Promise<string>>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const send = (status: number, type: string, body: string) => {
    response.writeHead(status, { ...ISOLATION, 'Content-Type': type, ...(type.startsWith('text/html') ? { 'Content-Security-Policy': PAGE_CSP } : {}) });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'text/plain', 'wacs web serves GET only\n');
  if (path === '/' || path === '/index.html') return send(200, TYPES['.html']!, PAGE_HTML);
  if (path === '/favicon.ico') return send(204, 'text/plain', '');
  if (path === '/config.json') return send(200, TYPES['.json']!, JSON.stringify(webConfig(assets)));
  const file = route(assets, path);
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info?.isFile()) return send(404, 'text/plain', `not found: ${path}\n`);
  if (path.startsWith('/backends/')) {
    let code = resolvedBundles.get(file);
    if (!code) resolvedBundles.set(file, (code = readFile(file, 'utf8').then(resolveCoreImports)));
    return send(200, TYPES['.js']!, await code);
  }
  response.writeHead(200, { ...ISOLATION, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': info.size });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file).pipe(response);
}

/** Serves the page on 127.0.0.1 (port 0: any free one). */
export async function startWebServer(assets: WebAssets, port = 0): Promise<WebServer> {
  // Each backend bundle read and resolved once per server.
  const resolvedBundles = new Map<string, Promise<string>>();
  const server = createServer((request, response) => {
    serve(assets, resolvedBundles, request, response).catch((e: unknown) => {
      if (!response.headersSent) response.writeHead(500, ISOLATION);
      response.end(String(e));
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', done);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
