/**
 * `wacs web` on a real GGUF model from ../shared: stories260K through the llm-chat guest in
 * headless Chromium (wllama), with the arguments backend-llama's test gives it under Node; the
 * oracle is the shared README's greedy continuation of "Once upon a time". Its embedding is
 * checked against wllama directly and backend-llama (node-llama-cpp) under Node.
 */
import { llamaBackend } from '@wacs/backend-llama';
import { guest, sharedModel } from '@wacs/fixtures';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from './browser/chromium.js';
import { launch, runInPage } from './browser/page.js';
import { directEmbedding, type DirectEmbedding } from './browser/wllama.js';

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

  it.each(['in-worker', 'bridge'] as const)('llm-chat continues "Once upon a time" greedily as the README says, streaming (wasi:nn answered %s)', async (nn) => {
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'stories', '--raw', '--set', 'temp=0', '--set', 'n-predict=40', 'Once upon a time'],
      models: [{ name: 'stories', spec: { path: stories!, options: { threads: 1 } } }],
      screenshot: nn === 'bridge' ? 'llm-chat-stories260K-bridge' : 'llm-chat-stories260K',
      ...(nn === 'bridge' ? { nn } : {}),
    });
    expect(page.error).toBeUndefined();
    expect(page.exitCode).toBe(0);
    expect(page.nn).toBe(nn);
    expect(page.loads).toEqual([{ backend: 'wllama', model: 'stories', target: 'auto' }]);
    expect(page.stdout.startsWith(KNOWN)).toBe(true);
    expect(page.stdoutPieces).toBeGreaterThan(5);
  });

  it("embeds a text as wllama's createEmbedding does, and as backend-llama does under Node", async () => {
    const text = 'Lily went to the park';
    let direct: DirectEmbedding | undefined;
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'stories', '--raw', '--no-stream', '--set', 'embedding=true', text],
      models: [{ name: 'stories', spec: { path: stories!, options: { threads: 1 } } }],
      screenshot: 'llm-chat-stories260K-embedding',
      afterRun: async (p) => {
        // stories260K declares no pooling: the last token's vector.
        direct = await directEmbedding(p, 'stories', text, { nCtx: 512, threads: 1, pooling: 'last' });
      },
    });
    expect(page.exitCode).toBe(0);
    const printed = JSON.parse(page.stdout) as { n_embedding: number; embedding: number[] };
    // n_embd 64 (the shared README).
    expect(printed.n_embedding).toBe(64);
    printed.embedding.forEach((v, i) => expect(v).toBeCloseTo(direct!.vector[i]!, 5));

    const graph = await llamaBackend.load({ source: { kind: 'path', path: stories! }, encoding: 'ggml', target: 'cpu', options: { threads: 1 } });
    const context = await graph.createContext();
    const bytes = (value: string) => new TextEncoder().encode(value);
    const metadata = JSON.stringify({ embedding: true });
    const outputs = await context.compute([
      { name: 'prompt', tensor: { type: 'U8', dimensions: [bytes(text).length], data: bytes(text) } },
      { name: 'metadata', tensor: { type: 'U8', dimensions: [bytes(metadata).length], data: bytes(metadata) } },
    ]);
    await context.dispose();
    await graph.dispose();
    const llama = Array.from(new Float32Array(outputs.find((o) => o.name === 'embedding')!.tensor.data.slice().buffer));
    expect(llama).toHaveLength(64);
    // Another build of llama.cpp: equal but for the last digits (relative to the vector's length).
    const distance = Math.hypot(...llama.map((v, i) => v - printed.embedding[i]!));
    expect(distance / Math.hypot(...llama)).toBeLessThan(1e-3);
  });
});
