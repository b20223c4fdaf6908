/**
 * The browser entry (`@wacs/backend-classic/browser`) under Node, its models fetched from a real
 * HTTP server on loopback as a page fetches them. Oracle: the Node entry on the same files.
 */
import { probeBytes, type NamedTensor } from '@wacs/core/backend';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mljsForestToPmml } from '../fixtures/pmml.mjs';
import { linearClassifier, mljsForestToOnnx } from '../fixtures/onnx-ml.mjs';
import { classicBrowserBackend } from '../src/browser.js';
import { trainIrisModel } from '../src/demo.js';
import { decode, features, run, type Outputs } from './helpers.js';

const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.4, 3.2, 4.5, 1.5],
  [6.3, 3.3, 6.0, 2.5],
  [5.9, 3.0, 5.1, 1.8],
];

describe('classic browser entry (models by URL)', () => {
  let server: Server;
  let base: string;
  const served = new Map<string, Uint8Array>();
  let forestJson: Uint8Array;
  let classes: string[];

  beforeAll(async () => {
    const iris = await trainIrisModel(mkdtempSync(join(tmpdir(), 'classic-browser-')));
    classes = iris.classes;
    forestJson = new Uint8Array(readFileSync(iris.modelPath));
    served.set('/forest.json', forestJson);
    served.set('/forest.pmml', new TextEncoder().encode(mljsForestToPmml(JSON.parse(new TextDecoder().decode(forestJson)), iris.features, [0, 1, 2])));
    served.set('/linear-ml.onnx', linearClassifier({ coefficients: [[1, -1], [-1, 1]], intercepts: [0, 0], classes: ['left', 'right'], zipMap: true }));
    served.set('/forest-ml.onnx', mljsForestToOnnx(JSON.parse(new TextDecoder().decode(forestJson)), 4, 3));
    server = createServer((request, response) => {
      const body = served.get(request.url ?? '');
      response.statusCode = body ? 200 : 404;
      response.end(body ?? 'missing');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  async function runByUrl(path: string, inputs: NamedTensor[], options: Record<string, string> = {}): Promise<Outputs> {
    const graph = await classicBrowserBackend.load({ source: { kind: 'path', path: `${base}${path}` }, encoding: 'autodetect', target: 'auto', options });
    try {
      return decode(await (await graph.createContext()).compute(inputs));
    } finally {
      await graph.dispose();
    }
  }

  it('an ml.js forest by URL predicts what the Node entry predicts from the file', async () => {
    const options = { classes: classes.join('|') };
    const inPage = await runByUrl('/forest.json', [features(ROWS)], options);
    expect(inPage.label).toEqual(['setosa', 'versicolor', 'virginica', expect.any(String)]);
    expect(inPage).toEqual(await run(forestJson, [features(ROWS)], options));
  });

  it('a PMML forest by URL predicts what the Node entry predicts', async () => {
    const inPage = await runByUrl('/forest.pmml', [features(ROWS)]);
    expect(inPage.label).toEqual([0, 1, 2, expect.any(Number)]);
    expect(inPage).toEqual(await run(served.get('/forest.pmml')!, [features(ROWS)]));
  });

  it('recognises its models from their first bytes, as the page probes them', async () => {
    for (const path of ['/forest.json', '/forest.pmml', '/linear-ml.onnx']) expect(await classicBrowserBackend.detect!(probeBytes([served.get(path)!]))).toBe(true);
    expect(await classicBrowserBackend.detect!(probeBytes([new TextEncoder().encode('{"modelTopology": {}}')]))).toBe(false);
  });

  it('ONNX-ML by URL, on onnxruntime-web, gives what the Node entry gives on onnxruntime-node (ZipMap removed, string labels)', async () => {
    for (const [path, rows] of [['/forest-ml.onnx', ROWS], ['/linear-ml.onnx', [[2, 0.5], [0.25, 1], [1, 1]]]] as const) {
      const inPage = await runByUrl(path, [features(rows.map((r) => [...r]), 'FP32')]);
      expect(inPage.label).toHaveLength(rows.length);
      expect(inPage).toEqual(await run(served.get(path)!, [features(rows.map((r) => [...r]), 'FP32')]));
    }
    expect((await runByUrl('/linear-ml.onnx', [features([[2, 0.5]], 'FP32')])).label).toEqual(['left']);
    const gpu = classicBrowserBackend.load({ source: { kind: 'path', path: `${base}/linear-ml.onnx` }, encoding: 'onnx', target: 'gpu', options: {} });
    await expect(gpu).rejects.toMatchObject({ code: 'unsupported-operation' });
  });

  it('a model the server does not have is not-found; options of another format are refused', async () => {
    await expect(runByUrl('/absent.json', [])).rejects.toMatchObject({ code: 'not-found' });
    await expect(runByUrl('/forest.pmml', [features(ROWS)], { classes: 'a|b|c' })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('does not apply to PMML models') });
  });
});
