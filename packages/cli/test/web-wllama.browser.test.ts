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
import { directCompletion, importWllamaModule, type DirectCompletion } from './browser/wllama.js';

const { path: chromiumPath } = chromium();
const PROMPT = 'Once upon a time';
const GREEDY = ['--set', 'temp=0', '--set', 'repeat-penalty=1'];
/** A small chat template (Jinja, as GGUF files carry them): role markers around each message. */
const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

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

  it('the wacs:stream steps (the backend\'s stream) add up to the compute\'s answer, each with its usage so far', async () => {
    let steps: Array<{ text: string; outputTokens: number }> = [];
    let whole: { text: string; metadata: { input_tokens: number; output_tokens: number; llama_build_number: number } } | undefined;
    await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=1', PROMPT],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-stream-steps',
      afterRun: async (p) => {
        await importWllamaModule(p);
        [steps, whole] = await p.evaluate(async (prompt) => {
          const { default: backend } = (window as unknown as { wllamaModule: typeof import('@wacs/backend-wllama') }).wllamaModule;
          const bytes = (text: string) => new TextEncoder().encode(text);
          const tensor = (text: string) => ({ dimensions: [bytes(text).length], type: 'U8' as const, data: bytes(text) });
          const inputs = () => [
            { name: 'prompt', tensor: tensor(prompt) },
            { name: 'metadata', tensor: tensor(JSON.stringify({ temp: 0, 'repeat-penalty': 1, 'n-predict': 16 })) },
          ];
          const graph = await backend.load({ source: { kind: 'path', path: '/models/tiny' }, encoding: 'ggml', target: 'cpu', options: { threads: 1 } });
          const context = await graph.createContext();
          const text = (outputs: Array<{ name: string; tensor: { data: Uint8Array } }>, name: string) => new TextDecoder().decode(outputs.find((o) => o.name === name)!.tensor.data);
          const collected: Array<{ text: string; outputTokens: number }> = [];
          const iterator = context.stream!(inputs());
          for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
            collected.push({ text: text(step.value, '0'), outputTokens: JSON.parse(text(step.value, 'metadata')).output_tokens });
          }
          const outputs = await context.compute(inputs());
          await context.dispose();
          await graph.dispose();
          return [collected, { text: text(outputs, '0'), metadata: JSON.parse(text(outputs, 'metadata')) }] as const;
        }, PROMPT);
      },
    });
    expect(whole!.metadata.output_tokens).toBe(16);
    expect(whole!.metadata.llama_build_number).toBeGreaterThan(0);
    expect(steps.length).toBeGreaterThan(8);
    expect(steps.map((s) => s.text).join('')).toBe(whole!.text);
    // Usage grows step by step and ends at the compute's count.
    steps.forEach((s, i) => i > 0 && expect(s.outputTokens).toBeGreaterThanOrEqual(steps[i - 1]!.outputTokens));
    expect(steps.at(-1)!.outputTokens).toBe(16);
  });

  it("chats with the model's chat template and keeps the conversation, as wllama's chat completion does", async () => {
    const chatModel = join(mkdtempSync(join(tmpdir(), 'wacs-web-gguf-chat-')), 'tiny-chat.gguf');
    writeFileSync(chatModel, tinyLlamaGguf({ chatTemplate: CHAT_TEMPLATE }));
    type Turn = { text: string; inputTokens: number; outputTokens: number };
    let backendTurns: Turn[] = [];
    let directTurns: Turn[] = [];
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'chat', ...GREEDY, '--set', 'n-predict=8', '--stats', 'Hello there'],
      models: [{ name: 'chat', spec: { path: chatModel, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-chat',
      afterRun: async (p) => {
        await importWllamaModule(p);
        [backendTurns, directTurns] = await p.evaluate(async (prompts) => {
          const { default: backend, Wllama } = (window as unknown as { wllamaModule: typeof import('@wacs/backend-wllama') }).wllamaModule;
          const bytes = (text: string) => new TextEncoder().encode(text);
          const tensor = (text: string) => ({ dimensions: [bytes(text).length], type: 'U8' as const, data: bytes(text) });
          const read = (outputs: Array<{ name: string; tensor: { data: Uint8Array } }>, name: string) => new TextDecoder().decode(outputs.find((o) => o.name === name)!.tensor.data);
          // Through the backend: one context, two turns.
          const graph = await backend.load({ source: { kind: 'path', path: '/models/chat' }, encoding: 'ggml', target: 'cpu', options: { threads: 1 } });
          const context = await graph.createContext();
          const viaBackend = [];
          for (const prompt of prompts) {
            const metadata = { chat: true, temp: 0, 'repeat-penalty': 1, 'n-predict': 8 };
            const outputs = await context.compute([{ name: 'prompt', tensor: tensor(prompt) }, { name: 'metadata', tensor: tensor(JSON.stringify(metadata)) }]);
            const usage = JSON.parse(read(outputs, 'metadata'));
            viaBackend.push({ text: read(outputs, '0'), inputTokens: usage.input_tokens, outputTokens: usage.output_tokens });
          }
          await context.dispose();
          await graph.dispose();
          // wllama directly: the same conversation as OpenAI-style messages.
          const quiet = { debug: () => {}, log: () => {}, warn: () => {}, error: console.error };
          const engine = new Wllama({ default: new URL(`${(window as unknown as { wllamaAssets: string }).wllamaAssets}wllama.wasm`, location.href).href }, { suppressNativeLog: true, logger: quiet });
          engine.setCompat(null);
          await engine.loadModel([await (await fetch('/models/chat')).blob()], { n_ctx: 256, n_threads: 1, n_gpu_layers: 0, n_parallel: 1 });
          const messages: Array<{ role: 'user' | 'assistant'; content: string }> = [];
          const direct = [];
          for (const prompt of prompts) {
            messages.push({ role: 'user', content: prompt });
            const request = { messages, temperature: 0, repeat_penalty: 1, n_predict: 8, top_k: 40, top_p: 0.95, min_p: 0.05 };
            const result = await engine.createChatCompletion(request as Parameters<typeof engine.createChatCompletion>[0] & { stream?: false });
            const text = result.choices[0]!.message.content ?? '';
            messages.push({ role: 'assistant', content: text });
            direct.push({ text, inputTokens: result.usage.prompt_tokens, outputTokens: result.usage.completion_tokens });
          }
          await engine.exit();
          return [viaBackend, direct] as const;
        }, ['Hello there', 'And then?']);
      },
    });
    expect(page.exitCode).toBe(0);
    expect(backendTurns).toEqual(directTurns);
    // The guest's one turn is the first: same answer, same prompt size (the template rendered around it).
    expect(page.stdout.split('\n')[0]).toBe(directTurns[0]!.text);
    expect(page.stdout).toContain(`[stats] input_tokens=${directTurns[0]!.inputTokens} output_tokens=${directTurns[0]!.outputTokens} `);
    // The template wraps the message (more tokens than its words), and the second turn carries the first.
    expect(directTurns[0]!.inputTokens).toBeGreaterThan(4);
    expect(directTurns[1]!.inputTokens).toBeGreaterThan(directTurns[0]!.inputTokens + directTurns[0]!.outputTokens);
  });

  it('threads=2 (llama.cpp threads in workers, the page being cross-origin isolated) gives the one-thread answer', async () => {
    const run = (threads: number) =>
      runInPage(browser, guest('llm-chat'), {
        args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=12', PROMPT],
        models: [{ name: 'tiny', spec: { path: model, options: { threads } } }],
        screenshot: `llm-chat-tiny-gguf-threads-${threads}`,
      });
    const [one, two] = [await run(1), await run(2)];
    expect(two.stderr).toBe('');
    expect(two.exitCode).toBe(0);
    expect(two.stdout).toBe(one.stdout);
  });

  it('reports a full context as an error after streaming what fit, as backend-llama does', async () => {
    let direct: DirectCompletion | undefined;
    const page = await runInPage(browser, guest('llm-chat'), {
      // llama.cpp in wllama makes contexts in steps of 256 tokens: ctx-size 16 holds 256.
      args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'ctx-size=16', PROMPT],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-context-full',
      afterRun: async (p) => {
        direct = await directCompletion(p, 'tiny', PROMPT, { nPredict: 251, nCtx: 16, threads: 1, temperature: 0, repeatPenalty: 1 });
      },
    });
    expect(page.exitCode).not.toBe(0);
    // 256 places: 5 prompt tokens and 251 generated, streamed before the error.
    expect(direct!.completionTokens).toBe(251);
    expect(page.stdout.startsWith(direct!.text)).toBe(true);
    expect(page.stdout).toContain('error: wasi-nn error runtime-error: the context is full: 5 prompt tokens and 251 generated filled its 256 tokens');
  });

  it('stops before the reverse prompt, which the stream never shows', async () => {
    let direct: DirectCompletion | undefined;
    const full = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=20', PROMPT],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-before-stop',
      afterRun: async (p) => {
        direct = await directCompletion(p, 'tiny', PROMPT, { nPredict: 20, nCtx: 256, threads: 1, temperature: 0, repeatPenalty: 1 });
      },
    });
    expect(full.stdout).toBe(`${direct!.text}\n`);
    // A stop text from the middle of the greedy answer: the answer ends where it first begins.
    const stop = direct!.text.slice(Math.floor(direct!.text.length / 2), Math.floor(direct!.text.length / 2) + 4);
    const stopped = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=20', '--set', `reverse-prompt=${stop}`, PROMPT],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-stop',
    });
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toBe(`${direct!.text.slice(0, direct!.text.indexOf(stop))}\n`);
  });

  it('a prompt longer than the context is the guest\'s invalid-argument', async () => {
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=4', Array.from({ length: 300 }, () => 'the cat').join(' ')],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-prompt-too-long',
    });
    expect(page.exitCode).not.toBe(0);
    expect(page.stdout).toMatch(/error: wasi-nn error invalid-argument: the prompt does not fit the context of 256 tokens/);
  });

  it('a GGUF file llama.cpp cannot read (cut short) is the guest\'s invalid-encoding', async () => {
    const cut = join(mkdtempSync(join(tmpdir(), 'wacs-web-gguf-cut-')), 'cut.gguf');
    writeFileSync(cut, tinyLlamaGguf().subarray(0, 4096));
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'cut', '--raw', PROMPT],
      models: [{ name: 'cut', spec: { path: cut } }],
      screenshot: 'llm-chat-tiny-gguf-cut',
    });
    expect(page.exitCode).not.toBe(0);
    expect(page.loads).toEqual([{ backend: 'wllama', model: 'cut', target: 'auto' }]);
    expect(page.stdout).toMatch(/error: wasi-nn error invalid-encoding: wllama: llama.cpp did not load the model/);
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
