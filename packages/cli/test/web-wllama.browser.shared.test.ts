/**
 * `wacs web` on a real GGUF model from ../shared: stories260K through the llm-chat guest in
 * headless Chromium (wllama), with the arguments backend-llama's test gives it under Node; the
 * oracle is the shared README's greedy continuation of "Once upon a time".
 */
import { guest, sharedModel } from '@wacs/fixtures';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from './browser/chromium.js';
import { launch, runInPage } from './browser/page.js';

const stories = sharedModel('gguf/stories260K.gguf');
const chromiumPath = stories ? chromium().path : undefined;
/** The shared README's greedy continuation of "Once upon a time". */
const KNOWN = ', there was a little girl named Lily';

describe.skipIf(!stories || !chromiumPath)('stories260K in Chromium on wllama', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
  });
  afterAll(() => browser?.close());

  it('llm-chat continues "Once upon a time" greedily as the README says, streaming', async () => {
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'stories', '--raw', '--set', 'temp=0', '--set', 'n-predict=40', 'Once upon a time'],
      models: [{ name: 'stories', spec: { path: stories!, options: { threads: 1 } } }],
      screenshot: 'llm-chat-stories260K',
    });
    expect(page.error).toBeUndefined();
    expect(page.exitCode).toBe(0);
    expect(page.loads).toEqual([{ backend: 'wllama', model: 'stories', target: 'auto' }]);
    expect(page.stdout.startsWith(KNOWN)).toBe(true);
    expect(page.stdoutPieces).toBeGreaterThan(5);
  });
});
