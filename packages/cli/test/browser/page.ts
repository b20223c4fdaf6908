/**
 * Runs a guest the way `wacs web` does (same assets, same server) in headless Chromium, waits for
 * the page's result, and saves a screenshot of the page.
 */
import type { WebResult } from '@wacs/browser';
import type { ModelSpec } from '@wacs/core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { webAssets } from '../../src/web/assets.js';
import { startWebServer } from '../../src/web/server.js';

export const screenshots = join(tmpdir(), 'wacs-browser-screenshots');

/** Headless Chromium; `--enable-unsafe-webgpu` lets it offer WebGPU on Linux (SwiftShader's software Vulkan when there is no GPU). */
export function launch(executablePath: string): Promise<Browser> {
  return puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--enable-unsafe-webgpu'] });
}

/** The WebGPU adapter a page of this browser gets (WebGPU needs a secure context: a loopback page), or undefined. */
export async function webgpuAdapter(browser: Browser): Promise<string | undefined> {
  const server = createServer((_request, response) => response.end('<!doctype html><title>webgpu probe</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await browser.newPage();
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return await page.evaluate(async () => {
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string } } | null> } }).gpu;
      const adapter = await gpu?.requestAdapter().catch(() => null);
      return adapter ? `${adapter.info?.vendor ?? '?'} ${adapter.info?.architecture ?? ''}`.trim() : undefined;
    });
  } finally {
    await page.close();
    server.close();
  }
}

export interface PageRun extends WebResult {
  screenshot: string;
  /** Every URL the page asked for. */
  requests: string[];
}

export async function runInPage(
  browser: Browser,
  guestPath: string,
  options: {
    args?: string[];
    models?: Array<{ name: string; spec: ModelSpec }>;
    dirs?: Array<{ host: string; guest: string }>;
    /** A host file for the guest's standard input. */
    stdin?: string;
    /** Browser backend packages (default: as `wacs web` picks them, by the models' formats). */
    backends?: string[];
    screenshot: string;
    timeoutMs?: number;
    /** `bridge`: the page's `?nn=bridge`, which keeps the backends in the page where the guest's worker could host them. */
    nn?: 'bridge';
    /** Runs in the same page once the guest has ended (e.g. an engine called directly, as an oracle). */
    afterRun?: (page: Page) => Promise<void>;
  },
): Promise<PageRun> {
  const assets = await webAssets({
    guestPath,
    wasm: new Uint8Array(readFileSync(guestPath)),
    args: options.args ?? [],
    models: options.models ?? [],
    dirs: options.dirs ?? [],
    ...(options.stdin ? { stdin: options.stdin } : {}),
    backends: options.backends ?? [],
  });
  const web = await startWebServer(assets);
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  try {
    await page.setViewport({ width: 1000, height: 760 });
    await page.goto(options.nn === 'bridge' ? `${web.url}?nn=bridge` : web.url);
    await page.waitForFunction('window.wacsResult', { timeout: options.timeoutMs ?? 180_000, polling: 200 });
    const result = (await page.evaluate('window.wacsResult')) as WebResult;
    mkdirSync(screenshots, { recursive: true });
    const screenshot = join(screenshots, `${options.screenshot}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`browser test: ${basename(guestPath)} page → ${screenshot}`);
    await options.afterRun?.(page);
    return { ...result, screenshot, requests };
  } finally {
    await page.close();
    await web.close();
  }
}
