// The core correctness property: generating with the KV cache (prefill, then one token per run with
// present → past) gives exactly the tokens of re-running the whole sequence without a cache at every
// step, for every cache layout real exports use. The oracle runs the same ONNX file on onnxruntime
// directly, with no code from the backend.
import { tensorView } from '@wacs/core/backend';
import { TINY_BOS, writeTinyGenaiFolder, type TinyDecoderOptions } from '@wacs/fixtures';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLogits, Sequence, type GenaiGraph } from '../src/index.js';
import { generateIds, idsInput, loadFolder, metadata, output, tempDir, UncachedDecoder } from './helpers.js';

// <s> the cat sat (ids: specials 0-2, then the fixture's words in order).
const PROMPT = [TINY_BOS, 3, 5, 8];

const VARIANTS: Array<[string, TinyDecoderOptions]> = [
  ['key/value cache, int64 ids, fp32, grouped-query attention (2 heads, 1 KV head)', {}],
  ['combined past_%d cache, int32 ids, fp32', { combinedKv: true, idType: 'int32' }],
  ['key/value cache, fp16 cache and logits', { floatType: 'float16' }],
  ['combined past_%d cache, fp16, one KV head per attention head', { combinedKv: true, floatType: 'float16', numKeyValueHeads: 2 }],
];

describe.each(VARIANTS)('KV cache equivalence: %s', (_label, variant) => {
  let folder: string;
  let graph: GenaiGraph;
  let oracle: UncachedDecoder;

  beforeAll(async () => {
    folder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'), variant);
    graph = await loadFolder(folder);
    oracle = await UncachedDecoder.open(join(folder, 'model.onnx'), variant);
  });
  afterAll(async () => {
    await graph.dispose();
    await oracle.release();
  });

  it('generates the same greedy tokens as recomputing the full sequence every step', async () => {
    const cached = await generateIds(graph, PROMPT, { max_new_tokens: 40 });
    expect(cached).toHaveLength(40);
    expect(cached).toEqual(await oracle.greedy(PROMPT, 40));
    // A random decoder that repeats one token would prove little.
    expect(new Set(cached).size).toBeGreaterThan(5);
  });

  it('gives the same logits at every cached step as the uncached run', async () => {
    const sequence = await Sequence.start(graph.model);
    let logits = lastLogits(await sequence.feed(PROMPT), graph.config.vocabSize);
    const tokens = [...PROMPT];
    const tolerance = variant.floatType === 'float16' ? 5e-3 : 1e-4;
    for (let step = 0; step < 12; step++) {
      const expected = await oracle.lastLogits(tokens);
      for (let t = 0; t < expected.length; t++) expect(Math.abs(logits[t]! - expected[t]!)).toBeLessThanOrEqual(tolerance * (1 + Math.abs(expected[t]!)));
      const next = (step * 7 + 4) % graph.config.vocabSize; // any tokens will do: the cache must follow them
      tokens.push(next);
      logits = lastLogits(await sequence.feed([next]), graph.config.vocabSize);
    }
  });

  it('answers input_ids with the logits of one forward pass', async () => {
    const outputs = await graph.createContext().compute([idsInput(PROMPT, variant.idType === 'int32' ? 'I32' : 'I64')]);
    const logits = output(outputs, 'logits');
    expect(logits.type).toBe('FP32');
    expect(logits.dimensions).toEqual([1, PROMPT.length, graph.config.vocabSize]);
    const values = tensorView(logits) as Float32Array;
    expect(Array.from(values.subarray(values.length - graph.config.vocabSize))).toEqual(Array.from(await oracle.lastLogits(PROMPT)));
  });
});

describe('KV cache over longer sequences', () => {
  it('stays exact past the first attention-mask allocation (256 positions)', async () => {
    const folder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'), { seed: 3 });
    const graph = await loadFolder(folder);
    const oracle = await UncachedDecoder.open(join(folder, 'model.onnx'), {});
    try {
      const cached = await generateIds(graph, PROMPT, { max_length: 300 });
      expect(cached).toHaveLength(296);
      expect(cached).toEqual(await oracle.greedy(PROMPT, 296));
    } finally {
      await graph.dispose();
      await oracle.release();
    }
  });

  it('keeps the shared part of a context\'s cache between computes, with the tokens of fresh contexts', async () => {
    const folder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'), { combinedKv: true, floatType: 'float16' });
    const graph = await loadFolder(folder);
    try {
      const kept = graph.createContext();
      const run = async (context: ReturnType<GenaiGraph['createContext']>, prompt: number[]) => {
        const before = graph.model.stats.tokens;
        const ids = Array.from(tensorView(output(await context.compute([idsInput(prompt), metadata({ generate: true, max_new_tokens: 10 })]), 'output_ids')) as BigInt64Array, Number);
        return { ids, fed: graph.model.stats.tokens - before };
      };
      const first = await run(kept, PROMPT);
      // A chat's next turn: the conversation so far, then new tokens.
      const pad = graph.config.padTokenId;
      const prompts = [
        [...PROMPT, ...first.ids.slice(0, 6), 9, 10],
        [PROMPT[0]!, 20, 21, 22], // shares one token
        [PROMPT[0]!, 20, 21, 22], // the same prompt again: only its last token is fed
        [pad, pad, ...PROMPT], // left padding, nothing shared
        [pad, pad, ...PROMPT, 7], // padding kept from the cache
      ];
      const fed: number[] = [];
      for (const prompt of prompts) {
        const reused = await run(kept, prompt);
        expect(reused.ids).toEqual((await run(graph.createContext(), prompt)).ids);
        fed.push(reused.fed - reused.ids.length + 1); // prompt tokens fed (each generated token but the last is fed too)
      }
      expect(fed).toEqual([2, 3, 1, 6, 1]);
    } finally {
      await graph.dispose();
    }
  });

  it('masks leading pad tokens: a left-padded prompt generates what the unpadded one does', async () => {
    const folder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'));
    const graph = await loadFolder(folder);
    const oracle = await UncachedDecoder.open(join(folder, 'model.onnx'), {});
    try {
      const pad = graph.config.padTokenId;
      const padded = await generateIds(graph, [pad, pad, pad, ...PROMPT], { max_new_tokens: 16 });
      expect(padded).toEqual(await oracle.greedy(PROMPT, 16));
    } finally {
      await graph.dispose();
      await oracle.release();
    }
  });
});
