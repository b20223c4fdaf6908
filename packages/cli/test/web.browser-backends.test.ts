/**
 * The tfjs and classic backends in a real browser (headless Chromium), under `wacs web`: the same
 * guest components as under `wacs run` on Node, on the backends' browser entries. Oracle: the
 * guest's stdout under Node (`wacs run`, same model, same input; ONNX-ML there on onnxruntime-node,
 * in the page on onnxruntime-web). Each test saves a screenshot of its page.
 */
import { trainIrisModel } from '@wacs/backend-classic/demo';
import { trainXorModel } from '@wacs/backend-tfjs/demo';
import { parseModelArg } from '@wacs/core';
import { guest, runWacs } from '@wacs/fixtures';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The ONNX-ML builder backend-classic's own tests use (a test fixture, not part of its package).
import { mljsForestToOnnx } from '../../backend-classic/fixtures/onnx-ml.mjs';
import { chromium } from './browser/chromium.js';
import { launch, runInPage } from './browser/page.js';

const { path: chromiumPath } = chromium();

describe.skipIf(!chromiumPath)('wacs web on the tfjs and classic browser backends, in Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
    dir = mkdtempSync(join(tmpdir(), 'wacs-web-backends-'));
  });
  afterAll(() => browser?.close());

  it('xor-mlp on tfjs (a model.json folder with its weights) prints what it prints under Node', async () => {
    const folder = join(dir, 'xor');
    await trainXorModel(folder);
    const page = await runInPage(browser, guest('xor-mlp'), { args: ['xor'], models: [{ name: 'xor', spec: { path: folder } }], screenshot: 'xor-mlp-tfjs' });
    expect(page.error).toBeUndefined();
    expect(page.stderr).toBe('');
    expect(page.exitCode).toBe(0);
    // Picked by the model's format (no --bind), and served from its folder.
    expect(page.loads).toEqual([{ backend: 'tfjs', model: 'xor', target: 'auto' }]);
    expect(page.requests.some((url) => url.endsWith('/models/xor/weights.bin'))).toBe(true);
    // On tfjs's WebAssembly engine, its .wasm from this server (the backend's engineAssets).
    expect(page.requests.some((url) => /\/engines\/0\/tfjs-backend-wasm(-simd)?\.wasm$/.test(url))).toBe(true);

    const node = await runWacs(['run', guest('xor-mlp'), '--bind', '@wacs/backend-tfjs', '--model', `xor=${folder}`, '--', 'xor']);
    expect(node.code).toBe(0);
    expect(node.stdout).toContain('the model computes XOR on all 4 rows');
    expect(page.stdout).toBe(node.stdout);
  });

  it("on tfjs's WebGL and JavaScript engines (option engine), xor-mlp gives the wasm engine's probabilities within 1e-3", async () => {
    const folder = join(dir, 'xor-engines');
    await trainXorModel(folder);
    const probabilities = (stdout: string) => [...stdout.matchAll(/\| (\d\.\d{4})$/gm)].map((m) => Number(m[1]));
    const run = (engine: string) =>
      runInPage(browser, guest('xor-mlp'), { args: ['xor'], models: [{ name: 'xor', spec: { path: folder, options: { engine } } }], screenshot: `xor-mlp-tfjs-${engine}` });
    const wasm = probabilities((await run('wasm')).stdout);
    expect(wasm).toHaveLength(4);
    for (const engine of ['webgl', 'cpu']) {
      const page = await run(engine);
      if (engine === 'webgl' && /engine "webgl" is not available/.test(page.stderr)) {
        console.warn(`tfjs webgl: this Chromium gives no WebGL here, so it is not compared (passing): ${page.stderr.trim()}`);
        continue;
      }
      expect(page.stderr).toBe('');
      expect(page.exitCode).toBe(0);
      probabilities(page.stdout).forEach((p, i) => expect(Math.abs(p - wasm[i]!)).toBeLessThanOrEqual(1e-3));
    }
  });

  it('iris-classify on classic (an ml.js forest, CSV rows on stdin) prints what it prints under Node', async () => {
    const iris = await trainIrisModel(join(dir, 'iris'));
    const rows = readFileSync(iris.csvPath, 'utf8').trim().split('\n');
    // The header, then rows of each species and a few near the class boundaries.
    const input = join(dir, 'iris-rows.csv');
    writeFileSync(input, [rows[0], ...[1, 2, 51, 60, 71, 84, 107, 120, 134, 150].map((i) => rows[i])].join('\n') + '\n');
    const page = await runInPage(browser, guest('iris-classify'), {
      args: ['iris'],
      models: [parseModelArg(iris.modelArg('iris'))],
      stdin: input,
      screenshot: 'iris-classify-classic',
    });
    expect(page.error).toBeUndefined();
    expect(page.stderr).toBe('');
    expect(page.exitCode).toBe(0);
    expect(page.loads).toEqual([{ backend: 'classic', model: 'iris', target: 'auto' }]);

    const node = await runWacs(['run', guest('iris-classify'), '--bind', '@wacs/backend-classic', '--model', iris.modelArg('iris'), '--', 'iris'], { stdin: readFileSync(input, 'utf8') });
    expect(node.code).toBe(0);
    expect(node.stdout.trim().split('\n')).toHaveLength(11); // "# classes: …", then a label and probabilities per row
    expect(page.stdout).toBe(node.stdout);
  });

  it('iris-classify on an ONNX-ML forest (classic on onnxruntime-web, picked over onnx-web) prints what it prints under Node', async () => {
    const iris = await trainIrisModel(join(dir, 'iris-onnx'));
    const model = join(dir, 'iris-forest-ml.onnx');
    writeFileSync(model, mljsForestToOnnx(JSON.parse(readFileSync(iris.modelPath, 'utf8')), 4, 3));
    const rows = readFileSync(iris.csvPath, 'utf8').trim().split('\n');
    const input = join(dir, 'iris-onnx-rows.csv');
    writeFileSync(input, [rows[0], ...[1, 51, 71, 84, 120, 134].map((i) => rows[i])].join('\n') + '\n');
    const page = await runInPage(browser, guest('iris-classify'), { args: ['ml'], models: [{ name: 'ml', spec: { path: model } }], stdin: input, screenshot: 'iris-classify-onnx-ml' });
    expect(page.error).toBeUndefined();
    expect(page.stderr).toBe('');
    expect(page.exitCode).toBe(0);
    // Without --bind, an ONNX file naming ai.onnx.ml binds classic and onnx-web; classic's detect takes it.
    expect(page.loads).toEqual([{ backend: 'classic', model: 'ml', target: 'auto' }]);
    expect(page.requests.some((url) => /\/engines\/\d+\/ort-wasm[^/]*\.wasm$/.test(url))).toBe(true);

    const node = await runWacs(['run', guest('iris-classify'), '--bind', '@wacs/backend-classic', '--model', `ml=${model}`, '--', 'ml'], { stdin: readFileSync(input, 'utf8') });
    expect(node.code).toBe(0);
    expect(node.stdout.trim().split('\n')).toHaveLength(7);
    expect(page.stdout).toBe(node.stdout);
  });
});
