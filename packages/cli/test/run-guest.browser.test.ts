/**
 * @wacs/browser's runGuest called by a page's own script, as its README shows, rather than by the
 * page `wacs web` makes: a backend given as an object (imported by the page) is served through the
 * bridge; backends given as modules, with the guest's JSPI transpilation, run in the guest's worker.
 * The assets come from the `wacs web` server. Oracle: y = x · W + b computed by hand.
 */
import { guest, linearModel } from '@wacs/fixtures';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webAssets } from '../src/web/assets.js';
import { startWebServer, type WebServer } from '../src/web/server.js';
import { chromium } from './browser/chromium.js';
import { launch } from './browser/page.js';

const { path: chromiumPath } = chromium();
const W = [
  [0.5, -1.25],
  [2, 0.75],
  [-0.5, 1.5],
];
const b = [0.125, -2];
const x = [1.5, -2, 0.25];
const byHand = b.map((bias, j) => x.reduce((sum, v, k) => sum + v * W[k]![j]!, bias));

interface Outcome {
  exitCode: number;
  nn: string;
  stdout: string;
  error?: string;
  loads: Array<{ backend: string; model: string }>;
  backends: string[];
}

describe.skipIf(!chromiumPath)("runGuest from a page's own script", () => {
  let browser: Browser;
  let web: WebServer;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
    const model = join(mkdtempSync(join(tmpdir(), 'wacs-run-guest-')), 'linear.onnx');
    writeFileSync(model, linearModel(W, b));
    const guestPath = guest('nn-compute');
    web = await startWebServer(
      await webAssets({ guestPath, wasm: new Uint8Array(readFileSync(guestPath)), args: [], models: [{ name: 'lin', spec: { path: model } }], backends: [] }),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  /** Runs `how` in a cross-origin isolated document of the server (its config.json), with an import map for core. */
  async function runInDocument(how: 'object' | 'module'): Promise<Outcome> {
    const page = await browser.newPage();
    try {
      await page.goto(new URL('config.json', web.url).href);
      // Given as script text: vitest rewrites import() in test code.
      return (await page.evaluate(`(async () => {
        const map = document.createElement('script');
        map.type = 'importmap';
        map.textContent = JSON.stringify({ imports: { '@wacs/core/backend': '/core/backend.js', '@wacs/core/browser': '/core/browser.js' } });
        document.head.append(map);
        const config = await (await fetch('/config.json')).json();
        const { runGuest } = await import('/index.js');
        const entry = config.backends[0];
        let backends;
        if (${JSON.stringify(how)} === 'object') {
          const onnxWeb = await import(new URL(entry.url, location.href).href);
          onnxWeb.configure({ assetsUrl: entry.assetsUrl });
          backends = [onnxWeb.default];
        } else {
          backends = [{ module: entry.url, settings: { assetsUrl: entry.assetsUrl } }];
        }
        let stdout = '';
        const loads = [];
        let reported = [];
        const result = await runGuest(config.guest.url, {
          jspiGuestUrl: config.guest.jspiUrl,
          models: { lin: config.models.lin.spec.path },
          args: ['lin', 'x=FP32:1x3:${x.join(',')}'],
          backends,
          workerUrl: '/worker.js',
          onStdout: (text) => (stdout += text),
          onLoad: (load) => loads.push(load),
          onBackends: (list) => (reported = list.map((b) => b.name)),
        });
        return { ...result, stdout, loads, backends: reported };
      })()`)) as Outcome;
    } finally {
      await page.close();
    }
  }

  const printed = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('y '))!.split(' ').slice(3).map(Number);

  it.each([
    ['an object the page imported', 'bridge', 'object'],
    ['a module for the worker to import', 'in-worker', 'module'],
  ] as const)("the backend given as %s: the guest computes the values worked out by hand, its wasi:nn answered %s", async (_, nn, how) => {
    const outcome = await runInDocument(how);
    expect(outcome.error).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    expect(outcome.nn).toBe(nn);
    expect(outcome.backends).toEqual(['onnx-web']);
    expect(outcome.loads).toEqual([{ backend: 'onnx-web', model: 'lin', target: 'auto' }]);
    const y = printed(outcome.stdout);
    expect(y).toHaveLength(2);
    y.forEach((v, i) => expect(v).toBeCloseTo(byHand[i]!, 5));
  });
});
