/**
 * The browser entry (`@wacs/backend-tfjs/browser`) under Node, its model.json and weights fetched
 * from a real HTTP server on loopback as a page fetches them. Oracle: the Node entry loading the
 * same folder from disk.
 */
import { tensorFrom } from '@wacs/core/backend';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tfjsBrowserBackend } from '../src/browser.js';
import { trainXorModel, XOR_TABLE } from '../src/demo.js';
import type { TfjsGraph } from '../src/index.js';
import { compute, floats, loadPath } from './fixtures.js';

const rows = { name: '0', tensor: tensorFrom('FP32', [4, 2], Float32Array.from(XOR_TABLE.flatMap((r) => [r.a, r.b]))) };

describe('tfjs browser entry (model.json and weights by URL)', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const files = new Map<string, string | Uint8Array>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wacs-tfjs-browser-'));
    await trainXorModel(join(dir, 'xor'));
    const json = JSON.parse(await readFile(join(dir, 'xor', 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    files.set('/xor/model.json', JSON.stringify(json));
    files.set('/xor/weights.bin', new Uint8Array(await readFile(join(dir, 'xor', 'weights.bin'))));
    files.set('/secret.bin', new Uint8Array(await readFile(join(dir, 'xor', 'weights.bin'))));
    const pointing = (paths: string[]) => JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths }] });
    files.set('/xor/climbs-out.json', pointing(['../secret.bin']));
    files.set('/xor/missing-weights.json', pointing(['absent.bin']));
    server = createServer((request, response) => {
      const body = files.get(request.url ?? '');
      response.statusCode = body === undefined ? 404 : 200;
      response.end(body ?? 'missing');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const loadUrl = async (path: string) =>
    (await tfjsBrowserBackend.load({ source: { kind: 'path', path: `${base}${path}` }, encoding: 'tensorflow', target: 'auto', options: {} })) as TfjsGraph;

  it('the XOR model by URL computes what the Node entry computes from the folder', async () => {
    const byUrl = await loadUrl('/xor/model.json');
    const fromDisk = await loadPath(join(dir, 'xor'));
    try {
      const inPage = floats((await compute(byUrl, [rows]))[0]!.tensor);
      expect(inPage.map(Math.round)).toEqual(XOR_TABLE.map((r) => r.xor));
      expect(inPage).toEqual(floats((await compute(fromDisk, [rows]))[0]!.tensor));
    } finally {
      await byUrl.dispose();
      await fromDisk.dispose();
    }
  });

  it('reads weights beside model.json only, and says which file the server lacks', async () => {
    await expect(loadUrl('/xor/climbs-out.json')).rejects.toMatchObject({ code: 'invalid-encoding', message: expect.stringContaining('"../secret.bin" is not a path relative to the model') });
    await expect(loadUrl('/xor/missing-weights.json')).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining(`${base}/xor/absent.bin: the server answered 404`) });
    await expect(loadUrl('/absent/model.json')).rejects.toMatchObject({ code: 'not-found' });
  });

  it("lists the page's engines (wasm, webgl, cpu), one of them active", async () => {
    const variants = await tfjsBrowserBackend.hardware!();
    expect(variants.map((v) => v.name)).toEqual(['wasm', 'webgl', 'cpu']);
    expect(variants.filter((v) => v.active)).toHaveLength(1);
  });
});
