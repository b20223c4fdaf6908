/**
 * `wacs web` on real models from ../shared, in headless Chromium: TensorFlow.js layers models through
 * nn-compute on the tfjs browser entry, and a scikit-learn SVC in PMML through iris-classify on the
 * classic browser entry. Oracles: the models' known outputs (../shared/README.md) and the same guest
 * under Node (`wacs run`).
 */
import { guest, runWacs, sharedModel } from '@wacs/fixtures';
import { readFileSync } from 'node:fs';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from './browser/chromium.js';
import { launch, runInPage } from './browser/page.js';

const abalone = sharedModel('tfjs/abalone-mlp');
const balance = sharedModel('tfjs/balance-ml5-classifier');
const svc = sharedModel('classical/pmml/svc_pmml.pmml');
const irisCsv = sharedModel('classical/onnxmltools/iris.csv');
const chromiumPath = abalone || svc ? chromium().path : undefined;

/** The values nn-compute printed for its first output. */
function printed(stdout: string): number[] {
  const line = stdout.split('\n')[0]!;
  return line.split(' ').slice(3).map(Number);
}

describe.skipIf(!chromiumPath)('real tfjs and PMML models in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
  });
  afterAll(() => browser?.close());

  it.each([
    ['abalone-mlp', abalone, '0=FP32:1x8:1,1,1,1,1,1,1,1', [11.6215]],
    ['balance-ml5-classifier', balance, '0=FP32:1x2:0.5,0.5', [0.00639, 0.41426, 0.57935]],
  ])('%s (tfjs layers model) through nn-compute: its known output, and the output under Node', async (name, folder, input, known) => {
    if (!folder) return console.warn(`skipping ${name}: ../shared/models/tfjs/${name} is missing`);
    const page = await runInPage(browser, guest('nn-compute'), { args: ['m', input], models: [{ name: 'm', spec: { path: folder } }], screenshot: `nn-compute-tfjs-${name}` });
    expect(page.error).toBeUndefined();
    expect(page.exitCode).toBe(0);
    expect(page.loads).toEqual([{ backend: 'tfjs', model: 'm', target: 'auto' }]);
    const inPage = printed(page.stdout);
    known.forEach((v, i) => expect(inPage[i]).toBeCloseTo(v, 4));
    const node = await runWacs(['run', guest('nn-compute'), '--bind', '@wacs/backend-tfjs', '--model', `m=${folder}`, '--', 'm', input]);
    expect(node.code).toBe(0);
    expect(page.stdout).toBe(node.stdout);
  });

  it.skipIf(!svc || !irisCsv)('svc_pmml.pmml (scikit-learn RBF SVC) through iris-classify on every iris.csv row prints what it prints under Node', async () => {
    const args = ['svc', '--columns', 'Sepal_Length,Sepal_Width,Petal_Length,Petal_Width'];
    const page = await runInPage(browser, guest('iris-classify'), { args, models: [{ name: 'svc', spec: { path: svc! } }], stdin: irisCsv!, screenshot: 'iris-classify-svc-pmml' });
    expect(page.error).toBeUndefined();
    expect(page.stderr).toBe('');
    expect(page.exitCode).toBe(0);
    expect(page.loads).toEqual([{ backend: 'classic', model: 'svc', target: 'auto' }]);
    const node = await runWacs(['run', guest('iris-classify'), '--bind', '@wacs/backend-classic', '--model', `svc=${svc}`, '--', ...args], { stdin: readFileSync(irisCsv!, 'utf8') });
    expect(node.code).toBe(0);
    expect(node.stdout.trim().split('\n')).toHaveLength(151); // "# classes: 0,1,2", then 150 rows
    expect(page.stdout).toBe(node.stdout);
  });
});
