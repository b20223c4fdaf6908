/**
 * The ONNX node-test guest over ../shared's 155 ONNX backend tests, in headless Chromium
 * (onnxruntime-web, WebAssembly; the tests copied into the page's file system with --dir) against
 * the same guest under Node (onnxruntime-node through backend-onnx). Every test that passes in the
 * page passes under Node; each one that passes only under Node is listed with the reason, all of
 * them conversions backend-onnx makes between wasi:nn's and ONNX's types that backend-onnx-web
 * does not have yet (see packages/backend-onnx-web/README.md).
 */
import { runOnnxNodeTests } from '@wacs/backend-onnx';
import { guest, sharedModel } from '@wacs/fixtures';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from './browser/chromium.js';
import { launch, runInPage } from './browser/page.js';

const tests = sharedModel('onnx-conformance/node');
const chromiumPath = tests ? chromium().path : undefined;

const boolAsU8 = /is ONNX bool, and the guest sent U8/;
const narrowIntsAsI32 = /is ONNX int(8|16), and the guest sent I32/;
const rank0Input = /has shape \[\], and the guest sent \[1\]/;
const strings = /is ONNX string, and the guest sent U8/;
const bfloat16 = /unsupported data type: 16/;

/** Node passes these, the page does not, and why (the page's failure message). */
const ONLY_UNDER_NODE: Record<string, RegExp> = {
  test_and2d: boolAsU8,
  test_nonzero_example: boolAsU8,
  test_not_2d: boolAsU8,
  test_or2d: boolAsU8,
  test_where_example: boolAsU8,
  test_where_long_example: boolAsU8,
  test_xor2d: boolAsU8,
  test_add_int8: narrowIntsAsI32,
  test_add_int16: narrowIntsAsI32,
  test_clip: rank0Input,
  test_clip_default_min: rank0Input,
  test_constant_pad: rank0Input,
  test_cumsum_1d: rank0Input,
  test_dequantizelinear: rank0Input,
  test_onehot_with_axis: rank0Input,
  test_quantizelinear: rank0Input,
  // A rank-0 output: backend-onnx gives it dimensions [1], as the guest's expected tensor has.
  test_size: /output "y": shape \[\]/,
  test_ai_onnx_ml_label_encoder_string_int: strings,
  test_ai_onnx_ml_label_encoder_string_int_no_default: strings,
  test_ai_onnx_ml_label_encoder_tensor_mapping: strings,
  test_ai_onnx_ml_label_encoder_tensor_value_only_mapping: strings,
  test_string_concat: strings,
  // backend-onnx loads bfloat16 models through float32 proxies (its bf16.ts); onnxruntime-web refuses them.
  test_cast_BFLOAT16_to_FLOAT: bfloat16,
  test_cast_FLOAT_to_BFLOAT16: bfloat16,
};

/** `PASS|FAIL|SKIP <test>[: reason]` lines, as the guest prints them without --results. */
function parse(stdout: string): Map<string, { status: string; reason: string }> {
  const results = new Map<string, { status: string; reason: string }>();
  for (const m of stdout.matchAll(/^(PASS|FAIL|SKIP) (\w+)(?:: (.*))?$/gm)) results.set(m[2]!, { status: m[1]!.toLowerCase(), reason: m[3] ?? '' });
  return results;
}

describe.skipIf(!tests || !chromiumPath)('ONNX node tests from ../shared in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
  });
  afterAll(() => browser?.close());

  it('pass in the page as under Node, but for the listed type conversions onnx-web lacks', async () => {
    const page = await runInPage(browser, guest('onnx-conformance'), {
      args: ['/tests'],
      dirs: [{ host: tests!, guest: '/tests' }],
      screenshot: 'onnx-conformance',
      timeoutMs: 600_000,
    });
    expect(page.error).toBeUndefined();
    const inPage = parse(page.stdout);
    const node = await runOnnxNodeTests(tests!);
    expect(inPage.size).toBe(155);
    expect(node.results).toHaveLength(155);

    const underNode = new Map(node.results.map((r) => [r.test, r.status]));
    const passedInPage = [...inPage].filter(([, r]) => r.status === 'pass').map(([test]) => test);
    expect(passedInPage.filter((test) => underNode.get(test) !== 'pass')).toEqual([]);
    const onlyUnderNode = node.results.filter((r) => r.status === 'pass' && inPage.get(r.test)?.status !== 'pass').map((r) => r.test);
    expect(onlyUnderNode.sort()).toEqual(Object.keys(ONLY_UNDER_NODE).sort());
    for (const test of onlyUnderNode) expect({ test, reason: inPage.get(test)!.reason }).toEqual({ test, reason: expect.stringMatching(ONLY_UNDER_NODE[test]!) });
    console.log(`ONNX node tests: ${passedInPage.length} pass in Chromium (onnxruntime-web), ${node.passed} under Node (onnxruntime-node); page ${page.ms.toFixed(0)} ms`);
  }, 900_000);
});
