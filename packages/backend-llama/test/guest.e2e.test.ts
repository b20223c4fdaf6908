// End to end: the real `wacs run` CLI, the llm-chat component guest, this backend (built dist), and
// the tiny random llama from @wacs/fixtures. Oracle: node-llama-cpp called directly in this process
// on the same file with the same settings; the guest path must not change a single token.
import { guest, repoRoot, runWacs, tinyLlamaGguf } from '@wacs/fixtures';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { directChat, directCompletion, tempDir, tinyModelFile } from './helpers.js';

const backendDir = join(repoRoot, 'packages/backend-llama');
const PROMPT = 'Once upon a time';
let path: string;
let dir: string;

beforeAll(() => {
  dir = tempDir();
  path = tinyModelFile({}, dir);
});

/** `wacs run llm-chat` with the tiny model registered as "tiny" (one thread). */
function chat(guestArgs: string[], options: { stdin?: string; model?: string } = {}) {
  return runWacs(['run', guest('llm-chat'), '--bind', backendDir, '--model', options.model ?? `tiny=${path},threads=1`, '--', ...guestArgs], {
    stdin: options.stdin,
  });
}

const GREEDY = ['--set', 'temp=0', '--set', 'repeat-penalty=1'];

describe('llm-chat guest with the tiny llama', () => {
  it('answers a one-shot prompt with exactly node-llama-cpp\'s greedy tokens, streamed by the host or printed by the guest', async () => {
    const direct = await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 20, repeatPenalty: false });
    const streamed = await chat(['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=20', PROMPT]);
    expect(streamed).toMatchObject({ code: 0, stdout: `${direct.text}\n` });
    const printed = await chat(['--model', 'tiny', '--raw', '--no-stream', ...GREEDY, '--set', 'n-predict=20', PROMPT]);
    expect(printed).toMatchObject({ code: 0, stdout: `${direct.text}\n` });
  });

  it('samples like node-llama-cpp with the same seed and the documented defaults (top-k 40, top-p 0.95, min-p 0.05, repeat-penalty 1.1)', async () => {
    const direct = await directCompletion(path, PROMPT, {
      temperature: 0.8,
      seed: 7,
      topK: 40,
      topP: 0.95,
      minP: 0.05,
      repeatPenalty: { penalty: 1.1 },
      maxTokens: 20,
    });
    const r = await chat(['--model', 'tiny', '--raw', '--no-stream', '--set', 'seed=7', '--set', 'n-predict=20', '--stats', PROMPT]);
    expect(r.code).toBe(0);
    const [text, stats] = r.stdout.split('\n');
    expect(text).toBe(direct.text);
    // <s> Once ▁upon ▁a ▁time, and the 20 tokens asked for.
    expect(stats).toMatch(/^\[stats\] input_tokens=5 output_tokens=20 ms=[\d.]+ tokens_per_s=[\d.]+$/);
  });

  it('chats with the model\'s template as node-llama-cpp\'s chat session does', async () => {
    const [reply] = await directChat(path, ['Hello there'], { temperature: 0, maxTokens: 10, repeatPenalty: false }, 1024);
    const r = await chat(['--model', 'tiny', ...GREEDY, '--set', 'n-predict=10', '--set', 'ctx-size=1024', 'Hello there']);
    expect(r).toMatchObject({ code: 0, stdout: `${reply}\n` });
  });

  it('runs a REPL on stdin: a prompt too long for the context is an error, and the next line is answered', async () => {
    const first = await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 8, repeatPenalty: false });
    const second = await directCompletion(path, 'Lily', { temperature: 0, maxTokens: 8, repeatPenalty: false });
    const tooLong = Array.from({ length: 20 }, () => PROMPT).join(' ');
    const repl = await runWacs(
      ['run', guest('llm-chat'), '--bind', backendDir, '--model', `tiny=${path},threads=1`, '--env', 'LLM_MODEL=tiny', '--', '--raw', '--no-stream', ...GREEDY, '--set', 'n-predict=8', '--set', 'ctx-size=64'],
      { stdin: `${PROMPT}\n${tooLong}\n\nLily\n/bye\nnever read\n` },
    );
    expect(repl.code).toBe(0);
    const error = 'error: wasi-nn error invalid-argument: the prompt is too long: 81 tokens, and the context holds 64';
    expect(repl.stdout).toMatch(new RegExp(`^>>> ${escape(first.text)}\\n>>> \\n${escape(error)}[^\\n]*\\n>>> >>> ${escape(second.text)}\\n>>> \\n$`));
  });

  it('reports a full context as an error after streaming what fit', async () => {
    const direct = await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 11, repeatPenalty: false }, 16);
    const r = await chat(['--model', 'tiny', '--raw', ...GREEDY, '--set', 'ctx-size=16', PROMPT]);
    expect(r.code).not.toBe(0);
    // 16 places: 5 prompt tokens and 11 generated, streamed by the host before the error.
    expect(r.stdout.startsWith(direct.text)).toBe(true);
    expect(r.stdout).toContain('error: wasi-nn error runtime-error: the context is full: 5 prompt tokens and 11 generated filled its 16 tokens');
  });

  it('fails clearly without a model name, and on a missing file, a non-GGUF file and GGUF v1', async () => {
    const unnamed = await chat([PROMPT]);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stdout).toContain('which model? pass --model NAME or set LLM_MODEL');

    const notGguf = join(dir, 'not-a-model.gguf');
    writeFileSync(notGguf, 'just some text, not a model');
    const v1 = join(dir, 'v1.gguf');
    writeFileSync(v1, tinyLlamaGguf({ version: 1 }));
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.gguf'), /not-found: .*model file not found/],
      [notGguf, /invalid-encoding: .*no bound backend can load this model/],
      [v1, /invalid-encoding: .*GGUF version 1 is not supported/],
    ];
    for (const [file, message] of cases) {
      const r = await chat(['--model', 'm', PROMPT], { model: `m=${file}` });
      expect(r.code, file).toBe(1);
      expect(r.stdout, file).toMatch(message);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
