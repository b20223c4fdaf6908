// End to end through the real `wacs` CLI: the genai-chat guest (a component) and WasmEdge-style
// preview1 guests, against the tiny decoder folder. Oracle: the same requests computed in this
// process on the backend directly.
import { tensorText } from '@wacs/core/backend';
import { guest, repoRoot, runWacs, TINY_BOS, writeTinyGenaiFolder } from '@wacs/fixtures';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenaiGraph } from '../src/index.js';
import { generateIds, loadFolder, metadata, output, prompt, tempDir } from './helpers.js';

const backend = join(repoRoot, 'packages/backend-genai');

describe('genai-chat and preview1 guests through wacs run', () => {
  let folder: string;
  let graph: GenaiGraph;
  const wacs = (args: string[], stdin?: string, model = folder) =>
    runWacs(['run', guest('genai-chat'), '--bind', backend, '--model', `tiny=${model},threads=1`, '--', 'tiny', ...args], { stdin });

  beforeAll(async () => {
    folder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'), { contextLength: 24 });
    graph = await loadFolder(folder);
  });
  afterAll(() => graph.dispose());

  async function reply(text: string, options: Record<string, unknown>): Promise<string> {
    return tensorText(output(await graph.createContext().compute([prompt(text), metadata(options)]), 'response'));
  }

  it('generates from token ids', async () => {
    const r = await wacs(['--ids', `${TINY_BOS},3,5,8`, '--max-new-tokens', '8']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const expected = await generateIds(graph, [TINY_BOS, 3, 5, 8], { max_new_tokens: 8 });
    expect(r.stdout).toContain(`output_ids: ${expected.join(',')}\n`);
  });

  it('chats on stdin with the chat template, the whole conversation each turn', async () => {
    const r = await wacs(['--max-new-tokens', '3'], 'hello world\nthe cat\n');
    expect(r.code).toBe(0);
    const first = await reply(JSON.stringify([{ role: 'user', content: 'hello world' }]), { chat: true, max_new_tokens: 3 });
    const second = await reply(
      JSON.stringify([
        { role: 'user', content: 'hello world' },
        { role: 'assistant', content: first },
        { role: 'user', content: 'the cat' },
      ]),
      { chat: true, max_new_tokens: 3 },
    );
    expect(r.stdout).toBe(`${first}\n${second}\n`);
  });

  it('reports a failed turn and goes on with the next one', async () => {
    const tooLong = Array(30).fill('cat').join(' ');
    const r = await wacs(['--raw', '--max-new-tokens', '2'], `${tooLong}\nthe dog\n`);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wasi-nn error invalid-argument: the prompt is 31 tokens, but the model's context length is 24/);
    expect(r.stdout).toBe(`${await reply('the dog', { max_new_tokens: 2 })}\n`);
  });

  it('samples reproducibly for a seed', async () => {
    const args = ['--sample', '--temperature', '1.5', '--top-k', '0', '--seed', '11', '--max-new-tokens', '10', 'the', 'sun'];
    const [a, b] = [await wacs(args), await wacs(args)];
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toBe(`${await reply('the sun', { do_sample: true, temperature: 1.5, top_k: 0, random_seed: 11, max_new_tokens: 10 })}\n`);
  });

  it('fails to load an unsupported model type with an error naming the supported ones', async () => {
    const broken = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'));
    const config = JSON.parse(await readFile(join(broken, 'genai_config.json'), 'utf8'));
    config.model.type = 'whisper';
    await writeFile(join(broken, 'genai_config.json'), JSON.stringify(config));
    const r = await wacs(['hello'], undefined, broken);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unsupported-operation.*"whisper" is not supported.*llama/);
  });

  it('streams to a WasmEdge-style preview1 guest (compute_single / get_output_single)', async () => {
    const r = await runWacs(['run', '--bind', backend, '--model', `tiny=${folder},max_new_tokens=6,threads=1`, join(repoRoot, 'guests/preview1/bin/llama-stream.wasm'), 'tiny', 'the cat sat']);
    expect(r.stdout).toBe(`${await reply('the cat sat', { max_new_tokens: 6 })}\n`);
  });
});
