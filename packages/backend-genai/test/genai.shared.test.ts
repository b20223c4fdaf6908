// Real onnxruntime-genai model folders from ../shared, unchanged. Oracles: the greedy tokens in the
// shared README (onnxruntime-genai's own test expectations). Skips, saying why, without ../shared.
import { tensorText, tensorView } from '@wacs/core/backend';
import { guest, repoRoot, runWacs, sharedModel } from '@wacs/fixtures';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TextCodec } from '../src/index.js';
import { generateIds, idsInput, loadFolder, metadata, output } from './helpers.js';

const gpt2 = sharedModel('genai/tiny-random-gpt2-fp32');
const llama = sharedModel('genai/tiny-random-LlamaForCausalLM-fp16');
const backend = join(repoRoot, 'packages/backend-genai');

describe.skipIf(!gpt2)('tiny-random-gpt2-fp32 (combined past_%d cache, int32 ids)', () => {
  it('greedy from [0, 0, 0, 52] gives 204 ×6 (max_length 10), from I64 and I32 ids', async () => {
    const graph = await loadFolder(gpt2!);
    try {
      expect(graph.model.idType).toBe('int32');
      expect(await generateIds(graph, [0, 0, 0, 52], { max_length: 10 })).toEqual([204, 204, 204, 204, 204, 204]);
      const outputs = await graph.createContext().compute([idsInput([0, 0, 0, 52], 'I32'), metadata({ generate: true, max_length: 10 })]);
      expect(Array.from(tensorView(output(outputs, 'output_ids')) as BigInt64Array, Number)).toEqual([204, 204, 204, 204, 204, 204]);
    } finally {
      await graph.dispose();
    }
  });

  it('through the genai-chat guest and the real CLI', async () => {
    const r = await runWacs(['run', guest('genai-chat'), '--bind', backend, '--model', `gpt2=${gpt2},threads=1`, '--', 'gpt2', '--ids', '0,0,0,52', '--max-length', '10']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('output_ids: 204,204,204,204,204,204\n');
  });
});

describe.skipIf(!llama)('tiny-random-LlamaForCausalLM-fp16 (key/value cache, fp16 cache and logits, int64 ids)', () => {
  it('greedy from [0, 0, 0, 52] gives 12102, 30463, 4666, 17192, 3266, 18061', async () => {
    const graph = await loadFolder(llama!);
    try {
      expect(graph.model.kvType).toBe('float16');
      expect(await generateIds(graph, [0, 0, 0, 52], { max_length: 10 })).toEqual([12102, 30463, 4666, 17192, 3266, 18061]);
    } finally {
      await graph.dispose();
    }
  });

  it('runs through the genai-chat guest; its text streaming never splits a UTF-8 character', async () => {
    const r = await runWacs(['run', guest('genai-chat'), '--bind', backend, '--model', `llama=${llama},threads=1`, '--', 'llama', '--ids', '0,0,0,52', '--max-new-tokens', '6']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('output_ids: 12102,30463,4666,17192,3266,18061\n');

    // 🤗 is four byte-fallback tokens in this vocabulary: nothing is emitted until the last one.
    const codec = await TextCodec.load(llama!);
    const bytes = codec.encode('a 🤗 b', false);
    const stream = codec.stream();
    const pieces = bytes.map((id) => stream.push(id));
    expect(pieces.join('') + stream.flush()).toBe(codec.decode(bytes));
    expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
    expect(pieces.filter((p) => p === '').length).toBeGreaterThanOrEqual(3);
  });

  it('renders the Llama 2 chat template from tokenizer_config.json', async () => {
    const graph = await loadFolder(llama!);
    try {
      const outputs = await graph.createContext().compute([
        { name: 'prompt', tensor: { type: 'U8', dimensions: [2], data: new TextEncoder().encode('hi') } },
        metadata({ chat: true, max_new_tokens: 4 }),
      ]);
      const codec = await TextCodec.load(llama!);
      const expected = await generateIds(graph, codec.encode('<s>[INST] hi [/INST]', false), { max_new_tokens: 4 });
      expect(Array.from(tensorView(output(outputs, 'output_ids')) as BigInt64Array, Number)).toEqual(expected);
      expect(tensorText(output(outputs, 'response'))).toBe(codec.decode(expected));
    } finally {
      await graph.dispose();
    }
  });
});
