// Hybrid decoders that carry state other than a KV cache: LFM2-style convolution states and
// Qwen3.5-style recurrent (linear-attention) states, each next to a KV cache on the attention layers
// only. The oracle runs the same ONNX file on onnxruntime directly over the whole sequence from zero
// states at every step (no code from the backend), so a state dropped, misnamed, mis-shaped or not
// carried from one run to the next changes the tokens.
import { TINY_BOS, writeTinyHybridGenaiFolder, type TinyHybridOptions } from '@wacs/fixtures';
import { NnError } from '@wacs/core';
import ort from 'onnxruntime-node';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLogits, Sequence, type GenaiGraph } from '../src/index.js';
import { generateIds, loadFolder, tempDir } from './helpers.js';

const PROMPT = [TINY_BOS, 3, 5, 8, 12];

/** Whole-sequence passes on onnxruntime: every state input zero (batch 1, past length 0). */
class FullPassDecoder {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async open(path: string): Promise<FullPassDecoder> {
    return new FullPassDecoder(await ort.InferenceSession.create(path, { intraOpNumThreads: 1 }));
  }

  async lastLogits(sequence: number[]): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of this.session.inputMetadata) {
      if (!input.isTensor) throw new Error(`unexpected input ${input.name}`);
      const ints = (values: number[], dims: number[]) =>
        input.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims) : new ort.Tensor('int32', Int32Array.from(values), dims);
      const n = sequence.length;
      if (input.name === 'input_ids') feeds[input.name] = ints(sequence, [1, n]);
      else if (input.name === 'attention_mask') feeds[input.name] = ints(sequence.map(() => 1), [1, n]);
      else if (input.name === 'position_ids') {
        const rows = input.shape.length === 3 ? 3 : 1;
        const positions = Array.from({ length: rows * n }, (_, i) => i % n);
        feeds[input.name] = ints(positions, rows === 3 ? [3, 1, n] : [1, n]);
      } else {
        const dims = input.shape.map((d) => (typeof d === 'number' ? d : d === 'batch_size' ? 1 : 0));
        const size = dims.reduce((a, b) => a * b, 1);
        feeds[input.name] = input.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(size), dims) : new ort.Tensor('float32', new Float32Array(size), dims);
      }
    }
    const logits = (await this.session.run(feeds)).logits!;
    return lastLogits(logits, logits.dims[2]!).slice();
  }

  async greedy(prompt: number[], count: number): Promise<number[]> {
    const tokens = [...prompt];
    const generated: number[] = [];
    for (let i = 0; i < count; i++) {
      const logits = await this.lastLogits(tokens);
      let best = 0;
      for (let t = 1; t < logits.length; t++) if (logits[t]! > logits[best]!) best = t;
      generated.push(best);
      tokens.push(best);
    }
    return generated;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

const LFM2: TinyHybridOptions = { layerTypes: ['conv', 'conv', 'full_attention', 'conv'] };
const QWEN35: TinyHybridOptions = { layerTypes: ['linear_attention', 'linear_attention', 'full_attention'], seed: 5 };

const VARIANTS: Array<[string, TinyHybridOptions]> = [
  ['lfm2: convolution state on conv layers, KV on the attention layer, fp32', LFM2],
  ['lfm2: fp16 states, KV and logits, int32 ids', { ...LFM2, floatType: 'float16', idType: 'int32', seed: 2 }],
  ['qwen3_5_text: conv + recurrent state on linear-attention layers, 3-row positions', { ...QWEN35, positionRows: 3 }],
  ['qwen3_5_text: fp16 conv state and KV, fp32 recurrent state, layer_types listed', { ...QWEN35, floatType: 'float16', writeLayerTypes: true, seed: 7 }],
  [
    'gemma4_text: KV sharing (two layers without a cache) and a head size per layer',
    { layerTypes: ['full_attention', 'full_attention', 'shared_attention', 'shared_attention'], headSizes: [8, 4], seed: 9 },
  ],
];

describe.each(VARIANTS)('hybrid state: %s', (_label, variant) => {
  let graph: GenaiGraph;
  let oracle: FullPassDecoder;

  beforeAll(async () => {
    const folder = await writeTinyHybridGenaiFolder(join(await tempDir(), 'hybrid'), variant);
    graph = await loadFolder(folder);
    oracle = await FullPassDecoder.open(join(folder, 'model.onnx'));
  });
  afterAll(async () => {
    await graph.dispose();
    await oracle.release();
  });

  it('carries each state only on the layers that have it, with its own shape and type', () => {
    const fp16 = variant.floatType === 'float16';
    const slots = graph.model.states.slots;
    variant.layerTypes.forEach((type, layer) => {
      const kinds = slots.filter((s) => s.layer === layer).map((s) => s.kind);
      if (type === 'full_attention') expect(kinds).toEqual(['kv', 'kv']);
      else if (type === 'shared_attention') expect(kinds).toEqual([]);
      else if (type === 'conv') expect(kinds).toEqual(['conv']);
      else expect(kinds.sort()).toEqual(['conv', 'recurrent']);
    });
    for (const slot of slots) {
      expect(slot.type).toBe(slot.kind === 'recurrent' || !fp16 ? 'float32' : 'float16');
      if (slot.kind === 'conv') expect(slot.initialDims).toEqual([1, 16, 2]);
      if (slot.kind === 'recurrent') expect(slot.initialDims).toEqual([1, 2, 4, 4]);
      if (slot.kind === 'kv') expect(slot.initialDims).toEqual([1, 1, 0, variant.headSizes?.[slot.layer] ?? 8]);
    }
    expect(graph.model.states.rewindable).toBe(variant.layerTypes.every((t) => t.endsWith('attention') && t !== 'linear_attention'));
  });

  it('generates the greedy tokens of a full-sequence pass at every step', async () => {
    const tokens = await generateIds(graph, PROMPT, { max_new_tokens: 30 });
    expect(tokens).toHaveLength(30);
    expect(tokens).toEqual(await oracle.greedy(PROMPT, 30));
    expect(new Set(tokens).size).toBeGreaterThan(5);
  });

  it('gives the logits of a full-sequence pass after every carried step', async () => {
    const sequence = await Sequence.start(graph.model);
    const vocab = graph.config.vocabSize;
    let logits = lastLogits(await sequence.feed(PROMPT), vocab);
    const tokens = [...PROMPT];
    const tolerance = variant.floatType === 'float16' ? 5e-3 : 1e-4;
    for (let step = 0; step < 10; step++) {
      const expected = await oracle.lastLogits(tokens);
      for (let t = 0; t < vocab; t++) expect(Math.abs(logits[t]! - expected[t]!)).toBeLessThanOrEqual(tolerance * (1 + Math.abs(expected[t]!)));
      const next = (step * 5 + 3) % vocab;
      tokens.push(next);
      logits = lastLogits(await sequence.feed([next]), vocab);
    }
  });

  it('keeps a shared prefix of a KV-only sequence, and restarts one with a conv or recurrent state', async () => {
    const sequence = await Sequence.start(graph.model);
    await sequence.feed([...PROMPT, 20, 21]);
    sequence.truncate(PROMPT.length - 1);
    // A conv or recurrent state cannot be cut back: the sequence starts over from zero states.
    const kept = graph.model.states.rewindable ? PROMPT.length - 1 : 0;
    expect(sequence.length).toBe(kept);
    const logits = lastLogits(await sequence.feed(PROMPT.slice(kept)), graph.config.vocabSize);
    const expected = await oracle.lastLogits(PROMPT);
    for (let t = 0; t < expected.length; t++) expect(Math.abs(logits[t]! - expected[t]!)).toBeLessThanOrEqual(5e-3 * (1 + Math.abs(expected[t]!)));
  });

  it('continues a chat: a prompt that extends the previous sequence reuses its state', async () => {
    const context = graph.createContext();
    const first = await generateIds(graph, PROMPT, { max_new_tokens: 6 }, context);
    const extended = [...PROMPT, ...first, 7, 9];
    const fedBefore = graph.model.stats.tokens;
    const second = await generateIds(graph, extended, { max_new_tokens: 6 }, context);
    expect(second).toEqual(await oracle.greedy(extended, 6));
    // Only what the kept sequence lacks is fed: the last generated token, the two new ones, then 5 steps.
    expect(graph.model.stats.tokens - fedBefore).toBe(3 + 5);
  });
});

describe('hybrid state config errors', () => {
  async function folderWith(options: TinyHybridOptions, edit: (config: any) => void): Promise<string> {
    const folder = await writeTinyHybridGenaiFolder(join(await tempDir(), 'hybrid'), options);
    const config = JSON.parse(await readFile(join(folder, 'genai_config.json'), 'utf8'));
    edit(config);
    await writeFile(join(folder, 'genai_config.json'), JSON.stringify(config));
    return folder;
  }

  async function loadError(folder: string): Promise<NnError> {
    const error = await loadFolder(folder).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NnError);
    return error as NnError;
  }

  it('says an lfm2 model needs model.decoder.layer_types when it is missing', async () => {
    const e = await loadError(await folderWith(LFM2, (c) => delete c.model.decoder.layer_types));
    expect(e.code).toBe('unsupported-operation');
    expect(e.message).toContain('model.decoder.layer_types is missing');
  });

  it('sizes a conv state with symbolic dimensions from hidden_size and conv_cache_size', async () => {
    const symbolic = await loadFolder(await writeTinyHybridGenaiFolder(join(await tempDir(), 'hybrid'), { ...LFM2, symbolicConvState: true }));
    const fixed = await loadFolder(await writeTinyHybridGenaiFolder(join(await tempDir(), 'hybrid'), LFM2));
    try {
      expect(symbolic.model.states.slots.filter((s) => s.kind === 'conv').map((s) => s.initialDims)).toEqual([
        [1, 16, 2],
        [1, 16, 2],
        [1, 16, 2],
      ]);
      // Same weights, so the same tokens as the model whose shapes are fixed.
      expect(await generateIds(symbolic, PROMPT, { max_new_tokens: 12 })).toEqual(await generateIds(fixed, PROMPT, { max_new_tokens: 12 }));
    } finally {
      await symbolic.dispose();
      await fixed.dispose();
    }
    const e = await loadError(await folderWith({ ...LFM2, symbolicConvState: true }, (c) => delete c.model.decoder.conv_cache_size));
    expect(e.message).toMatch(/conv state input past\.0\.conv has a dynamic dimension "conv_width" at axis 2.*model\.decoder\.conv_cache_size/);
  });

  it('counts a layer with a KV input as attention whatever layer_types calls it (sliding_attention)', async () => {
    const folder = await folderWith(QWEN35, (c) => (c.model.decoder.layer_types = ['linear_attention', 'linear_attention', 'sliding_attention']));
    const graph = await loadFolder(folder);
    const oracle = await FullPassDecoder.open(join(folder, 'model.onnx'));
    try {
      expect(graph.model.states.slots.map((s) => `${s.layer}:${s.kind}`)).toEqual(['0:conv', '0:recurrent', '1:conv', '1:recurrent', '2:kv', '2:kv']);
      expect(await generateIds(graph, PROMPT, { max_new_tokens: 12 })).toEqual(await oracle.greedy(PROMPT, 12));
    } finally {
      await graph.dispose();
      await oracle.release();
    }
  });

  it('checks layer_types against num_hidden_layers', async () => {
    const e = await loadError(await folderWith(LFM2, (c) => c.model.decoder.layer_types.pop()));
    expect(e.message).toContain('model.decoder.layer_types has 3 entries, but num_hidden_layers is 4');
  });

  it('names the conv state template that matches no decoder input', async () => {
    const e = await loadError(await folderWith(LFM2, (c) => (c.model.decoder.inputs.past_conv_names = 'past_conv.%d')));
    expect(e.message).toMatch(/model\.decoder\.inputs\.past_conv_names names the input "past_conv\.0" \(layer 0\), but the decoder has no such input/);
  });

  it('without layer_types, an lfm2-style decoder under another type has inputs the config does not describe', async () => {
    const e = await loadError(
      await folderWith(LFM2, (c) => {
        c.model.type = 'llama';
        delete c.model.decoder.layer_types;
      }),
    );
    expect(e.message).toMatch(/input\(s\) past\.0\.conv, past\.1\.conv, past\.3\.conv that genai_config\.json does not describe/);
  });
});
