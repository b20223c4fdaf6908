// Token choice: greedy, seeded sampling, top-k / top-p / temperature / repetition penalty, and the
// stop conditions (EOS, min_length, max_length), checked against hand-computed values and the
// greedy path.
import { writeTinyGenaiFolder } from '@wacs/fixtures';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatToHalf } from '@wacs/core/backend';
import ort from 'onnxruntime-node';
import { argmaxF32, argmaxI16 } from '../src/argmax.js';
import { argmaxLastLogits, Random, Sampler, topK, type GenaiGraph, type SamplingOptions } from '../src/index.js';
import { generateIds, loadFolder, tempDir } from './helpers.js';

const PROMPT = [1, 3, 5, 8];
const GREEDY: SamplingOptions = { doSample: false, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0 };

/** How often each token is drawn from `logits` in `n` samples. */
function frequencies(options: Partial<SamplingOptions>, logits: number[], n: number): number[] {
  const sampler = new Sampler({ ...GREEDY, doSample: true, seed: 7, ...options }, logits.length);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampler.pick(Float32Array.from(logits))]!++;
  return counts.map((c) => c / n);
}

describe('Sampler (hand-computed distributions)', () => {
  it('samples in proportion to softmax(logits / temperature)', () => {
    // softmax([0, ln 3]) = [0.25, 0.75]; at temperature 2: [1, √3] / (1 + √3) = [0.366, 0.634].
    expect(frequencies({}, [0, Math.log(3)], 20000)[1]).toBeCloseTo(0.75, 1.7);
    expect(frequencies({ temperature: 2 }, [0, Math.log(3)], 20000)[1]).toBeCloseTo(Math.sqrt(3) / (1 + Math.sqrt(3)), 1.7);
  });

  it('keeps only the top-k tokens, ties going to the lower id', () => {
    expect(topK(Float32Array.from([1, 3, 2, 3]), 2)).toEqual([1, 3]);
    expect(topK(Float32Array.from([5, 1, 4, 2, 3]), 5)).toEqual([0, 2, 4, 3, 1]);
    const f = frequencies({ topK: 2 }, [0, 1, 2, 0.5], 4000);
    expect(f[0]).toBe(0);
    expect(f[3]).toBe(0);
    // Between the two kept: e^1 : e^2.
    expect(f[2]! / f[1]!).toBeCloseTo(Math.E, 0.3);
  });

  it('keeps the smallest set of tokens whose probability reaches top_p', () => {
    // Probabilities 0.5, 0.3, 0.2: top_p 0.7 keeps the first two, renormalised to 5/8 and 3/8.
    const f = frequencies({ topP: 0.7 }, [Math.log(0.5), Math.log(0.3), Math.log(0.2)], 20000);
    expect(f[2]).toBe(0);
    expect(f[0]).toBeCloseTo(5 / 8, 1.7);
  });

  it('applies the repetition penalty to tokens already in the sequence', () => {
    // [2, -1, 1.5] with tokens 0 and 1 seen and penalty 2 → [1, -2, 1.5]: token 2 wins.
    const sampler = new Sampler({ ...GREEDY, repetitionPenalty: 2 }, 3);
    sampler.observe([0, 1]);
    expect(sampler.pick(Float32Array.from([2, -1, 1.5]))).toBe(2);
    expect(new Sampler(GREEDY, 3).pick(Float32Array.from([2, -1, 1.5]))).toBe(0);
  });

  it('draws the same stream for the same seed, uniform in [0, 1)', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const draws = Array.from({ length: 10000 }, () => a.next());
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from({ length: 10000 }, () => b.next())).toEqual(draws);
    expect(c.next()).not.toBe(draws[0]);
    expect(draws.reduce((s, x) => s + x, 0) / draws.length).toBeCloseTo(0.5, 1.7);
  });
});

describe('argmax kernels (WebAssembly SIMD) against a scalar scan', () => {
  /** The reference: first index of the largest value, NaN skipped. */
  const scan = (xs: ArrayLike<number>) => {
    let best = 0;
    for (let i = 0; i < xs.length; i++) if (xs[i]! > xs[best]! || Number.isNaN(xs[best]!)) best = i;
    return best;
  };
  const random = new Random(3);

  it.each([1, 7, 8, 9, 1000, 32000, 150000])('%i values, fp32 and int16, with ties', (n) => {
    const floats = Float32Array.from({ length: n }, () => Math.round((random.next() - 0.5) * 200) / 4);
    const ints = Int16Array.from({ length: n }, () => Math.round((random.next() - 0.5) * 60000));
    expect(argmaxF32(floats)).toBe(scan(floats));
    expect(argmaxI16(ints, 0, n)).toBe(scan(ints));
    // A window inside a longer row (a last-position slice).
    const padded = new Float32Array(n + 5).fill(1e9);
    padded.set(floats, 5);
    expect(argmaxF32(padded, 5, n)).toBe(scan(floats));
  });

  it('follows a scalar scan on NaN, -0/+0 and all -Infinity', () => {
    expect(argmaxF32(Float32Array.from([NaN, 1, 3, NaN, 3]))).toBe(2);
    expect(argmaxF32(Float32Array.from([-1, -0, 0, -2]))).toBe(1);
    expect(argmaxF32(Float32Array.from([-Infinity, -Infinity]))).toBe(0);
  });
});

describe('greedy choice straight from fp16 logits', () => {
  const half = (values: number[]) => new ort.Tensor('float16', Uint16Array.from(values, floatToHalf), [1, 1, values.length]);
  const cases: Array<[string, number[], number]> = [
    ['a positive maximum, the first of two equal ones', [-1, 2, 2, 0.5], 1],
    ['every logit negative', [-3, -1, -2, -65504], 1],
    ['a maximum of zero, -0 first (equal to +0)', [-1, -0, 0, -2], 1],
    ['a NaN, which never wins', [NaN, 1, 0.5], 1],
    ['the only positive logit last', [-0.5, -0.25, 0.001], 2],
  ];
  it.each(cases)('%s', (_label, values, expected) => {
    expect(argmaxLastLogits(half(values), values.length)).toBe(expected);
    // Only the last position counts.
    const twoRows = new ort.Tensor('float16', Uint16Array.from([...values.map(() => 0x3c00), ...values.map(floatToHalf)]), [1, 2, values.length]);
    expect(argmaxLastLogits(twoRows, values.length)).toBe(expected);
  });
});

describe('generation options on the tiny decoder', () => {
  let folder: string;
  let graph: GenaiGraph;
  let greedy: number[];

  beforeAll(async () => {
    folder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'));
    graph = await loadFolder(folder);
    greedy = await generateIds(graph, PROMPT, { max_new_tokens: 24 });
  });
  afterAll(() => graph.dispose());

  it('reproduces a seeded sample exactly, and a different seed gives different tokens', async () => {
    const options = { do_sample: true, temperature: 1.5, top_k: 0, max_new_tokens: 24 };
    const first = await generateIds(graph, PROMPT, { ...options, random_seed: 1234 });
    expect(await generateIds(graph, PROMPT, { ...options, random_seed: 1234 })).toEqual(first);
    expect(first).toHaveLength(24);
    expect(first).not.toEqual(greedy);
    expect(await generateIds(graph, PROMPT, { ...options, random_seed: 99 })).not.toEqual(first);
  });

  it('top_k 1 samples exactly the greedy tokens, and so does a tiny top_p', async () => {
    expect(await generateIds(graph, PROMPT, { do_sample: true, temperature: 0.7, top_k: 1, random_seed: 5, max_new_tokens: 24 })).toEqual(greedy);
    expect(await generateIds(graph, PROMPT, { do_sample: true, top_k: 0, top_p: 1e-6, random_seed: 5, max_new_tokens: 24 })).toEqual(greedy);
  });

  it('counts max_length over the whole sequence, prompt included', async () => {
    expect(await generateIds(graph, PROMPT, { max_length: 10 })).toEqual(greedy.slice(0, 6));
    expect(await generateIds(graph, PROMPT, { max_length: 4 })).toEqual([]);
  });

  it('stops before any EOS id listed in genai_config.json, and min_length holds EOS back', async () => {
    // Make the 4th greedy token (first seen there) an end-of-sequence id.
    const k = greedy.findIndex((t, i) => i >= 3 && !greedy.slice(0, i).includes(t));
    const config = JSON.parse(await readFile(join(folder, 'genai_config.json'), 'utf8'));
    config.model.eos_token_id = [2, greedy[k]];
    const eosFolder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'));
    await writeFile(join(eosFolder, 'genai_config.json'), JSON.stringify(config));
    const eosGraph = await loadFolder(eosFolder);
    try {
      expect(await generateIds(eosGraph, PROMPT, { max_new_tokens: 24 })).toEqual(greedy.slice(0, k));
      const held = await generateIds(eosGraph, PROMPT, { max_new_tokens: 24, min_length: PROMPT.length + k + 2 });
      expect(held.length).toBeGreaterThanOrEqual(k + 2);
      expect(held.slice(0, k + 2)).not.toContain(greedy[k]);
    } finally {
      await eosGraph.dispose();
    }
  });

  it('takes search defaults from genai_config.json and from model options', async () => {
    const config = JSON.parse(await readFile(join(folder, 'genai_config.json'), 'utf8'));
    config.search.max_length = 9;
    const configured = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'));
    await writeFile(join(configured, 'genai_config.json'), JSON.stringify(config));
    const fromConfig = await loadFolder(configured);
    const fromOption = await loadFolder(folder, { max_length: 7 });
    try {
      expect(await generateIds(fromConfig, PROMPT)).toEqual(greedy.slice(0, 5));
      expect(await generateIds(fromOption, PROMPT)).toEqual(greedy.slice(0, 3));
      // metadata overrides both
      expect(await generateIds(fromOption, PROMPT, { max_length: 8 })).toEqual(greedy.slice(0, 4));
    } finally {
      await fromConfig.dispose();
      await fromOption.dispose();
    }
  });
});
