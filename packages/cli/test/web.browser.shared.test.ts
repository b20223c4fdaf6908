/**
 * `wacs web` on a real model from ../shared: mnist.onnx through nn-compute in headless Chromium
 * (onnxruntime-web, WebAssembly) against the same guest under Node (onnxruntime-node).
 */
import { guest, runWacs, sharedModel } from '@wacs/fixtures';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from './browser/chromium.js';
import { launch, runInPage, webgpuAdapter } from './browser/page.js';

const mnist = sharedModel('onnx/mnist.onnx');
const chromiumPath = mnist ? chromium().path : undefined;

function printed(stdout: string, name: string): number[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no output ${name} in:\n${stdout}`);
  return line.split(' ').slice(3).map(Number);
}

// A fixed 28x28 image with structure (a diagonal stroke over a faint ramp), not all zeros.
const image = Array.from({ length: 784 }, (_, i) => {
  const [row, col] = [Math.floor(i / 28), i % 28];
  return Math.abs(row - col) < 3 ? 1 : +((row * 28 + col) / 3136).toFixed(4);
});

describe.skipIf(!mnist || !chromiumPath)('mnist.onnx in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
  });
  afterAll(() => browser?.close());

  it('nn-compute gives the logits it gives under Node, within 1e-5', async () => {
    const args = ['mnist', `Input3=FP32:1x1x28x28:${image.join(',')}`];
    const page = await runInPage(browser, guest('nn-compute'), { args, models: [{ name: 'mnist', spec: { path: mnist! } }], screenshot: 'nn-compute-mnist' });
    expect(page.error).toBeUndefined();
    expect(page.exitCode).toBe(0);
    const node = await runWacs(['run', guest('nn-compute'), '--bind', '@wacs/backend-onnx', '--model', `mnist=${mnist}`, '--', ...args]);
    expect(node.code).toBe(0);
    const inPage = printed(page.stdout, 'Plus214_Output_0');
    const underNode = printed(node.stdout, 'Plus214_Output_0');
    expect(inPage).toHaveLength(10);
    // nn-compute prints 7 significant digits: compare within 1e-5 of each logit's size.
    inPage.forEach((v, i) => expect(Math.abs(v - underNode[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(underNode[i]!))));
    expect(inPage.indexOf(Math.max(...inPage))).toBe(underNode.indexOf(Math.max(...underNode)));
  });

  it('on WebGPU (when Chromium gives an adapter) gives the same logits within 1e-3 and the same digit', async () => {
    const adapter = await webgpuAdapter(browser);
    if (!adapter) {
      console.warn('WebGPU: this Chromium gives no WebGPU adapter here, so mnist on WebGPU is not tried (passing)');
      return;
    }
    const args = ['mnist', `Input3=FP32:1x1x28x28:${image.join(',')}`];
    const spec = { path: mnist!, options: { executionProvider: 'webgpu' } };
    const page = await runInPage(browser, guest('nn-compute'), { args, models: [{ name: 'mnist', spec }], screenshot: 'nn-compute-mnist-webgpu' });
    expect(page.error).toBeUndefined();
    expect(page.exitCode).toBe(0);
    const node = await runWacs(['run', guest('nn-compute'), '--bind', '@wacs/backend-onnx', '--model', `mnist=${mnist}`, '--', ...args]);
    const onGpu = printed(page.stdout, 'Plus214_Output_0');
    const underNode = printed(node.stdout, 'Plus214_Output_0');
    console.log(`mnist on WebGPU (${adapter}): largest difference from Node ${Math.max(...onGpu.map((v, i) => Math.abs(v - underNode[i]!))).toExponential(2)}`);
    onGpu.forEach((v, i) => expect(Math.abs(v - underNode[i]!)).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(underNode[i]!))));
    expect(onGpu.indexOf(Math.max(...onGpu))).toBe(underNode.indexOf(Math.max(...underNode)));
  });
});
