/**
 * `wacs web` in a real browser (headless Chromium): the same guest components as `wacs run`, run
 * in a page by @wacs/browser on @wacs/backend-onnx-web. Oracles: the guest under Node (`wacs run`
 * on onnxruntime-node) and values computed by hand. Each test saves a screenshot of its page.
 */
import { guest, linearModel, repoRoot, runWacs } from '@wacs/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from './browser/chromium.js';
import { launch, runInPage, webgpuAdapter } from './browser/page.js';

const { path: chromiumPath } = chromium();

/** The values nn-compute printed for output `name`. */
function printed(stdout: string, name: string): number[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no output ${name} in:\n${stdout}`);
  return line.split(' ').slice(3).map(Number);
}

// y = x · W + b with fractional weights (float32 rounding shows), computed by hand as a second oracle.
const W = Array.from({ length: 6 }, (_, i) => Array.from({ length: 4 }, (_, j) => Math.sin(i * 4 + j + 1) * 1.7));
const b = [0.25, -0.5, 1.125, -2];
const x = [[0.3, -1.2, 2.5, 0.01, -0.7, 1.9]];

describe.skipIf(!chromiumPath)('wacs web in Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
    dir = mkdtempSync(join(tmpdir(), 'wacs-web-'));
  });
  afterAll(() => browser?.close());

  // Chromium has JSPI, so a page's guest worker hosts the backends itself unless the page says `?nn=bridge`.
  it.each(['in-worker', 'bridge'] as const)('nn-compute on an ONNX model gives the outputs it gives under Node, within 1e-5 (wasi:nn answered %s)', async (nn) => {
    const model = join(dir, 'linear.onnx');
    writeFileSync(model, linearModel(W, b));
    const args = ['lin', `x=FP32:1x6:${x[0]!.join(',')}`];
    const page = await runInPage(browser, guest('nn-compute'), {
      args,
      models: [{ name: 'lin', spec: { path: model } }],
      screenshot: `nn-compute-linear-${nn}`,
      ...(nn === 'bridge' ? { nn } : {}),
    });
    expect(page.error).toBeUndefined();
    expect(page.exitCode).toBe(0);
    expect(page.nn).toBe(nn);
    expect(page.loads).toEqual([{ backend: 'onnx-web', model: 'lin', target: 'auto' }]);
    expect(page.stdout).toMatch(/^y FP32 \[1,4\] .*\ncompute ok\n$/);

    const node = await runWacs(['run', guest('nn-compute'), '--bind', '@wacs/backend-onnx', '--model', `lin=${model}`, '--', ...args]);
    expect(node.code).toBe(0);
    const inPage = printed(page.stdout, 'y');
    const underNode = printed(node.stdout, 'y');
    const byHand = b.map((bias, j) => x[0]!.reduce((sum, v, k) => sum + v * W[k]![j]!, bias));
    expect(inPage).toHaveLength(4);
    inPage.forEach((v, i) => {
      expect(v).toBeCloseTo(underNode[i]!, 5);
      expect(v).toBeCloseTo(byHand[i]!, 4);
    });
  });

  it('on WebGPU (when Chromium gives an adapter) nn-compute gives what the wasm execution provider gives', async () => {
    const adapter = await webgpuAdapter(browser);
    if (!adapter) {
      console.warn('WebGPU: this Chromium gives no WebGPU adapter here, so the WebGPU run is not tried (passing)');
      return;
    }
    console.log(`WebGPU adapter: ${adapter}`);
    const model = join(dir, 'linear-gpu.onnx');
    writeFileSync(model, linearModel(W, b));
    const args = ['lin', `x=FP32:1x6:${x[0]!.join(',')}`];
    const gpu = await runInPage(browser, guest('nn-compute'), { args, models: [{ name: 'lin', spec: { path: model, options: { executionProvider: 'webgpu' } } }], screenshot: 'nn-compute-webgpu' });
    expect(gpu.error).toBeUndefined();
    expect(gpu.stderr).toBe('');
    expect(gpu.exitCode).toBe(0);
    const cpu = await runInPage(browser, guest('nn-compute'), { args, models: [{ name: 'lin', spec: { path: model } }], screenshot: 'nn-compute-wasm' });
    const onGpu = printed(gpu.stdout, 'y');
    printed(cpu.stdout, 'y').forEach((v, i) => expect(onGpu[i]).toBeCloseTo(v, 4));
  });

  // In the guest's worker, the backend's bundle brings its own copy of core beside the worker's.
  it.each(['in-worker', 'bridge'] as const)("a backend's error reaches the guest with its wasi:nn code (the backend is a separate bundle; wasi:nn answered %s)", async (nn) => {
    const model = join(dir, 'linear-bad.onnx');
    writeFileSync(model, linearModel(W, b));
    const page = await runInPage(browser, guest('nn-compute'), {
      args: ['lin', 'x=FP32:1x5:1,2,3,4,5'],
      models: [{ name: 'lin', spec: { path: model } }],
      screenshot: `nn-compute-bad-shape-${nn}`,
      ...(nn === 'bridge' ? { nn } : {}),
    });
    expect(page.nn).toBe(nn);
    expect(page.exitCode).not.toBe(0);
    expect(page.stderr).toMatch(/invalid-argument.*input "x" has shape \[.*6.*\], and the guest sent \[1,5\]/);
  });

  it('a model name the page does not serve is the guest\'s not-found, naming what is served', async () => {
    const page = await runInPage(browser, guest('nn-compute'), { args: ['absent', 'x=FP32:1x1:1'], screenshot: 'nn-compute-unknown-model' });
    expect(page.exitCode).not.toBe(0);
    expect(page.stderr).toMatch(/not-found.*no model is registered under the name "absent"/);
  });

  describe('the guest reaches neither the network nor the page', () => {
    let server: Server;
    let port: number;
    const seen: string[] = [];
    beforeAll(async () => {
      server = createServer((request, response) => {
        seen.push(`request ${request.url}`);
        response.end('reached');
      });
      server.on('connection', () => seen.push('connection'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('TCP, UDP, DNS and outgoing HTTP are refused as under Node, and a server on loopback sees nothing', async () => {
      const page = await runInPage(browser, join(repoRoot, 'guests/fuzz-net/net-probe.wasm'), { args: [String(port)], screenshot: 'net-probe' });
      expect(page.stdout.trim().split('\n')).toEqual([
        'tcp connect: access-denied',
        'tcp bind: access-denied',
        'udp bind: access-denied',
        'dns lookup: permanent-resolver-failure',
        'http request: HTTP-request-denied',
      ]);
      expect(page.exitCode).toBe(0);
      expect(seen).toEqual([]);
      // The page itself only ever asked its own server.
      const origins = new Set(page.requests.map((u) => new URL(u).origin));
      expect(origins.size).toBe(1);
      expect([...origins][0]).not.toContain(`:${port}`);
    });

    it('the guest sees no environment and no files of the page or the host', async () => {
      const env = await runInPage(browser, guest('sandbox-probe'), { args: ['env'], screenshot: 'sandbox-probe-env' });
      expect(env.stdout).toBe('env 0\n');
      const read = await runInPage(browser, guest('sandbox-probe'), { args: ['read', 'etc/hostname'], screenshot: 'sandbox-probe-read' });
      expect(read.stdout).toMatch(/^errno \d+\n$/);
      expect(read.exitCode).toBe(1);
    });
  });
});
