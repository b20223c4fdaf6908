/**
 * `wacs web` without a browser: its command line, and what its server serves (headers that make
 * the page cross-origin isolated, only the files it was given, nothing outside them).
 */
import { guest, linearModel, runWacs } from '@wacs/fixtures';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendsForModels, webAssets } from '../src/web/assets.js';
import { resolveCoreImports, startWebServer, type WebServer } from '../src/web/server.js';

describe('wacs web: command line', () => {
  it('has --help', async () => {
    const r = await runWacs(['web', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: wacs web <guest.wasm>');
    expect((await runWacs(['--help'])).stdout).toMatch(/web <guest\.wasm>.*browser page/);
  });

  it('refuses a preview1 core module and a missing model file, saying why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wacs-web-cli-'));
    const module = join(dir, 'core.wasm');
    writeFileSync(module, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const r = await runWacs(['web', module]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('wacs web runs component guests (WIT wasi:nn), and this is a preview1 core module');
    const missing = await runWacs(['web', guest('nn-compute'), '--model', `m=${join(dir, 'absent.onnx')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--model m:');
  });

  it('refuses a --bind package that is not a browser backend', async () => {
    const r = await runWacs(['web', guest('nn-compute'), '--bind', '@wacs/backend-onnx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('@wacs/backend-onnx is not a browser backend');
  });
});

describe("resolveCoreImports: core's entries as URLs, for modules a worker imports", () => {
  it('rewrites static, bare and dynamic imports of core\'s two entries, and nothing else', () => {
    const code = [
      'import { NnError } from "@wacs/core/backend";',
      "import {a}from'@wacs/core/browser';",
      'import "@wacs/core/backend";',
      'const m = await import( "@wacs/core/browser" );',
      'import x from "@wacs/core";',
      'import y from "@wacs/core/backend/node";',
      'const text = "see @wacs/core/backend for the contract";',
    ].join('\n');
    expect(resolveCoreImports(code).split('\n')).toEqual([
      'import { NnError } from "/core/backend.js";',
      "import {a}from'/core/browser.js';",
      'import "/core/backend.js";',
      'const m = await import( "/core/browser.js" );',
      'import x from "@wacs/core";',
      'import y from "@wacs/core/backend/node";',
      'const text = "see @wacs/core/backend for the contract";',
    ]);
  });
});

describe('wacs web: the server', () => {
  let web: WebServer;
  let model: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wacs-web-server-'));
    model = join(dir, 'linear.onnx');
    writeFileSync(model, linearModel([[1], [2]], [0]));
    writeFileSync(join(dir, 'secret.txt'), 'not for the page');
    const given = join(dir, 'given');
    mkdirSync(join(given, 'sub'), { recursive: true });
    writeFileSync(join(given, 'a.txt'), 'first');
    writeFileSync(join(given, 'sub', 'b.txt'), 'second');
    const path = guest('nn-compute');
    const assets = await webAssets({
      guestPath: path,
      wasm: new Uint8Array(readFileSync(path)),
      args: ['lin'],
      models: [{ name: 'lin', spec: { path: model } }],
      dirs: [{ host: given, guest: '/data' }],
      backends: [],
    });
    web = await startWebServer(assets);
  });
  afterAll(() => web?.close());

  const get = (path: string) => fetch(new URL(path, web.url));

  it('listens on loopback and makes the page cross-origin isolated, with a same-origin CSP', async () => {
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    // Workers from this origin, and from blob: URLs the page makes itself (wllama's), none from elsewhere.
    expect(page.headers.get('content-security-policy')).toContain("worker-src 'self' blob:;");
    expect(await page.text()).toContain('<script type="module" src="app.js">');
  });

  it('serves the config, the guest transpiled by jco, the backends, their engines and the model', async () => {
    const config = (await (await get('/config.json')).json()) as { guest: { url: string }; backends: Array<{ package: string; url: string; assetsUrl: string }>; models: Record<string, { spec: { path: string } }> };
    // The backend of the one model's format: ONNX on onnxruntime-web.
    expect(config.backends.map((b) => b.package)).toEqual(['@wacs/backend-onnx-web']);
    expect(config.guest.url).toBe('guest/nn-compute/guest.js');
    const guestJs = await get(config.guest.url);
    expect(guestJs.headers.get('content-type')).toContain('text/javascript');
    expect(await guestJs.text()).toContain('export function instantiate');
    expect((await get('guest/nn-compute/guest.core.wasm')).headers.get('content-type')).toBe('application/wasm');
    expect((await get(config.backends[0]!.url)).status).toBe(200);
    expect((await get(`${config.backends[0]!.assetsUrl}ort-wasm-simd-threaded.jsep.wasm`)).headers.get('content-type')).toBe('application/wasm');
    const served = new Uint8Array(await (await get(config.models.lin!.spec.path)).arrayBuffer());
    expect(served).toEqual(new Uint8Array(linearModel([[1], [2]], [0])));
    for (const path of ['/worker.js', '/app.js']) expect((await get(path)).status).toBe(200);
  });

  it("serves the guest's JSPI transpilation beside it, for a worker that hosts the backends itself", async () => {
    const config = (await (await get('/config.json')).json()) as { guest: { jspiUrl: string } };
    expect(config.guest.jspiUrl).toBe('guest/nn-compute/jspi/guest.js');
    const jspi = await (await get(config.guest.jspiUrl)).text();
    // run is an async export, and the wasi:nn imports that wait for an engine may suspend the guest.
    expect(jspi).toContain("WebAssembly.promising(exports1['wasi:cli/run@0.2.3#run'])");
    expect(jspi.match(/new WebAssembly\.Suspending\(/g)).toHaveLength(4);
    expect((await get('guest/nn-compute/jspi/guest.core.wasm')).headers.get('content-type')).toBe('application/wasm');
    expect((await get('guest/nn-compute/guest.js').then((r) => r.text())).includes('WebAssembly.Suspending')).toBe(false);
  });

  it('serves the backend bundles with their imports of core as URLs under /core/ (workers have no import maps)', async () => {
    const config = (await (await get('/config.json')).json()) as { backends: Array<{ url: string }> };
    const bundle = await (await get(config.backends[0]!.url)).text();
    expect(bundle).not.toMatch(/["']@wacs\/core\//);
    expect(bundle).toContain('from "/core/backend.js"');
  });

  it("serves core's browser-safe entries, which the page's import map names, and none of its Node ones", async () => {
    const html = await (await get('/')).text();
    const map = JSON.parse(/<script type="importmap">(.*?)<\/script>/.exec(html)![1]!) as { imports: Record<string, string> };
    expect(Object.keys(map.imports).sort()).toEqual(['@wacs/core/backend', '@wacs/core/browser']);
    for (const url of Object.values(map.imports)) {
      const response = await get(url);
      expect(response.status).toBe(200);
      for (const [, chunk] of (await response.text()).matchAll(/from\s*"\.\/([^"]+)"/g)) expect((await get(`/core/${chunk}`)).status).toBe(200);
    }
    for (const path of ['/core/index.js', '/core/component-worker.js', '/core/backend/node.js', '/core/..%2Fpackage.json']) {
      expect({ path, status: (await get(path)).status }).toEqual({ path, status: 404 });
    }
  });

  it('serves the files of --dir folders, at the paths the guest sees them', async () => {
    const { files } = (await (await get('/config.json')).json()) as { files: Array<{ path: string; url: string; bytes: number }> };
    expect(files.map((f) => [f.path, f.bytes])).toEqual([
      ['/data/a.txt', 5],
      ['/data/sub/b.txt', 6],
    ]);
    expect(await Promise.all(files.map(async (f) => (await get(f.url)).text()))).toEqual(['first', 'second']);
    expect((await get('/files/2')).status).toBe(404);
  });

  it('serves nothing else: unknown paths, other models, and paths that climb out of a folder are 404', async () => {
    for (const path of ['/models/other', '/guest/other/guest.js', '/guest/nn-compute/..%2F..%2Fsecret.txt', '/engines/0/..%2F..%2Fpackage.json', '/etc/passwd', '/backends/2.js']) {
      expect({ path, status: (await get(path)).status }).toEqual({ path, status: 404 });
    }
    expect((await fetch(web.url, { method: 'POST' })).status).toBe(405);
  });
});

describe('wacs web: model folders, standard input, and the backends picked by model format', () => {
  let dir: string;
  let web: WebServer;
  let assets: Awaited<ReturnType<typeof webAssets>>;
  const get = (path: string) => fetch(new URL(path, web.url));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wacs-web-formats-'));
    const tfjsFolder = join(dir, 'xor');
    mkdirSync(join(tfjsFolder, 'shards'), { recursive: true });
    writeFileSync(join(tfjsFolder, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential' }, weightsManifest: [] }));
    writeFileSync(join(tfjsFolder, 'shards', 'w1.bin'), 'WEIGHTS');
    writeFileSync(join(dir, 'outside.txt'), 'not for the page');
    writeFileSync(join(dir, 'forest.json'), JSON.stringify({ name: 'RFClassifier', estimators: [] }));
    writeFileSync(join(dir, 'input.csv'), '5.1,3.5,1.4,0.2\n');
    const path = guest('nn-compute');
    assets = await webAssets({
      guestPath: path,
      wasm: new Uint8Array(readFileSync(path)),
      args: [],
      models: [
        { name: 'xor', spec: { path: tfjsFolder } },
        { name: 'forest', spec: { path: join(dir, 'forest.json') } },
      ],
      stdin: join(dir, 'input.csv'),
      backends: [],
    });
    web = await startWebServer(assets);
  });
  afterAll(() => web?.close());

  it('binds the browser backend of each model format without --bind, and onnx-web for a guest with no models', async () => {
    expect(assets.backends.map((b) => b.package)).toEqual(['@wacs/backend-tfjs', '@wacs/backend-classic']);
    expect(assets.backends[0]!.assetsDir).toMatch(/tfjs-backend-wasm\/dist$/);
    expect(backendsForModels(['onnx', 'onnx', 'pmml', 'tfjs-model'])).toEqual(['@wacs/backend-onnx-web', '@wacs/backend-classic', '@wacs/backend-tfjs']);
    expect(backendsForModels(['onnx-ml'])).toEqual(['@wacs/backend-classic', '@wacs/backend-onnx-web']);
    expect(backendsForModels(['gguf', 'onnx'])).toEqual(['@wacs/backend-wllama', '@wacs/backend-onnx-web']);
    expect(backendsForModels([])).toEqual(['@wacs/backend-onnx-web']);
    expect(backendsForModels(['unknown'])).toEqual(['@wacs/backend-onnx-web']);
  });

  it("serves a tfjs model folder: model.json as the model's URL, the files beside it, nothing outside it", async () => {
    const config = (await (await get('/config.json')).json()) as { models: Record<string, { spec: { path: string }; file: string }>; stdin: { url: string; bytes: number } };
    expect(config.models.xor!.spec.path).toBe('models/xor/model.json');
    expect(config.models.xor!.file).toBe('xor');
    expect(JSON.parse(await (await get(config.models.xor!.spec.path)).text())).toMatchObject({ format: 'layers-model' });
    expect(await (await get(new URL('shards/w1.bin', new URL(config.models.xor!.spec.path, web.url)).pathname)).text()).toBe('WEIGHTS');
    expect(config.models.forest!.spec.path).toBe('models/forest');
    for (const path of ['/models/xor', '/models/xor/..%2Foutside.txt', '/models/forest/x', '/models/xor/absent.bin']) {
      expect({ path, status: (await get(path)).status }).toEqual({ path, status: 404 });
    }
  });

  it("serves the guest's standard input from --stdin", async () => {
    const config = (await (await get('/config.json')).json()) as { stdin: { url: string; bytes: number } };
    expect(config.stdin).toEqual({ url: 'stdin', bytes: 16 });
    expect(await (await get(config.stdin.url)).text()).toBe('5.1,3.5,1.4,0.2\n');
  });

  it('refuses a folder that is not a TensorFlow.js model, and a --stdin that is not a file', async () => {
    const path = guest('nn-compute');
    const wasm = new Uint8Array(readFileSync(path));
    const other = join(dir, 'other');
    mkdirSync(other);
    await expect(webAssets({ guestPath: path, wasm, args: [], models: [{ name: 'o', spec: { path: other } }], backends: [] })).rejects.toThrow(
      /--model o: .* is a folder, and wacs web serves single-file models and TensorFlow\.js model folders/,
    );
    await expect(webAssets({ guestPath: path, wasm, args: [], models: [], stdin: other, backends: [] })).rejects.toThrow(/--stdin .*: not a file/);
  });
});
