/**
 * GGUF models in Chromium: the llm-chat guest in a `wacs web` page on @wacs/backend-wllama, against
 * wllama called directly in the same page on the same file (the oracle: greedy decoding gives one
 * answer). The model is the fixtures' tiny llama, written here, so this runs on a fresh clone.
 */
import { guest, tinyLlamaGguf } from '@wacs/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from './browser/chromium.js';
import { launch, runInPage } from './browser/page.js';
import { directCompletion, type DirectCompletion } from './browser/wllama.js';

const { path: chromiumPath } = chromium();
const PROMPT = 'Once upon a time';
const GREEDY = ['--set', 'temp=0', '--set', 'repeat-penalty=1'];

describe.skipIf(!chromiumPath)('GGUF in Chromium on wllama', () => {
  let browser: Browser;
  let model: string;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
    model = join(mkdtempSync(join(tmpdir(), 'wacs-web-gguf-')), 'tiny.gguf');
    writeFileSync(model, tinyLlamaGguf());
  });
  afterAll(() => browser?.close());

  it('llm-chat streams the greedy tokens wllama gives when called directly in the same page', async () => {
    let direct: DirectCompletion | undefined;
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=20', '--stats', PROMPT],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf',
      afterRun: async (p) => {
        // The tiny llama's training context is 256 tokens: the backend's default context size for it.
        direct = await directCompletion(p, 'tiny', PROMPT, { nPredict: 20, nCtx: 256, threads: 1, temperature: 0, repeatPenalty: 1 });
      },
    });
    expect(page.error).toBeUndefined();
    expect(page.stderr).toBe('');
    expect(page.exitCode).toBe(0);
    expect(page.loads).toEqual([{ backend: 'wllama', model: 'tiny', target: 'auto' }]);
    const [answer, stats] = page.stdout.split('\n');
    expect(direct!.completionTokens).toBe(20);
    expect(answer).toBe(direct!.text);
    expect(stats).toMatch(new RegExp(`^\\[stats\\] input_tokens=${direct!.promptTokens} output_tokens=20 `));
    // Streamed: the answer arrived token by token (the newline and stats line come from the guest).
    expect(page.stdoutPieces).toBeGreaterThan(10);
  });

  it('--no-stream prints the same answer in one piece', async () => {
    const streamed = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=12', PROMPT],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-streamed',
    });
    const whole = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', '--no-stream', ...GREEDY, '--set', 'n-predict=12', PROMPT],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-whole',
    });
    expect(whole.exitCode).toBe(0);
    expect(whole.stdout).toBe(streamed.stdout);
    expect(whole.stdoutPieces).toBe(1);
  });

  it('a bad option from the guest is its invalid-argument, naming the option', async () => {
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', '--set', 'temp=-1', PROMPT],
      models: [{ name: 'tiny', spec: { path: model } }],
      screenshot: 'llm-chat-tiny-gguf-bad-option',
    });
    expect(page.exitCode).not.toBe(0);
    expect(page.stdout).toMatch(/invalid-argument.*temp/);
  });
});
