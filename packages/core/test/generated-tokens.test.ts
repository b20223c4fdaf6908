// The host's token count (HostOptions.onTokens, what `wacs serve`'s tokens metric reads): a text
// backend's usage outputs, counted once per compute and once per token of a stream (its steps carry
// the count so far), by the model's registered name; outputs without usage count nothing.
import { describe, expect, it } from 'vitest';
import { BackendRegistry, ModelRegistry, NnHost, textOutputs, textTensor, type Backend } from '../src/index.js';
import { outputTokens, TokenTally } from '../src/generated-tokens.js';

/** Generates `words` one per step (usage cumulative, as backend-llama reports it), or all at once. */
const textBackend = (words: string[]): Backend => ({
  name: 'words',
  encodings: ['ggml'],
  async load() {
    return {
      createContext: () => ({
        async compute() {
          return textOutputs(words.join(' '), { inputTokens: 2, outputTokens: words.length });
        },
        async *stream() {
          for (let i = 0; i < words.length; i++) yield textOutputs(words[i]!, { inputTokens: 2, outputTokens: i + 1 });
          return [];
        },
        dispose() {},
      }),
      dispose() {},
    };
  },
});

function host(counted: Array<[string, number]>): NnHost {
  const backends = new BackendRegistry();
  backends.register(textBackend(['a', 'b', 'c', 'd']));
  const models = new ModelRegistry();
  models.add('tiny', { path: new URL(import.meta.url).pathname, encoding: 'ggml' });
  return new NnHost(backends, models, { log: () => {}, onTokens: (model, n) => counted.push([model, n]) });
}

describe('tokens generated', () => {
  it('a compute counts its usage output_tokens under the model name', async () => {
    const counted: Array<[string, number]> = [];
    const session = host(counted).session();
    const context = await session.initContext(await session.loadByName('tiny'));
    await session.compute(context, [{ name: 'prompt', tensor: textTensor('hi') }]);
    await session.compute(context, [{ name: 'prompt', tensor: textTensor('again') }]);
    expect(counted).toEqual([
      ['tiny', 4],
      ['tiny', 4],
    ]);
  });

  it('a stream counts each step once, whatever the cumulative usage says, and nothing at its end', async () => {
    const counted: Array<[string, number]> = [];
    const session = host(counted).session();
    const context = await session.initContext(await session.loadByName('tiny'));
    const texts: string[] = [];
    for (let step = await session.streamNext(context, [{ name: 'prompt', tensor: textTensor('hi') }]); step; step = await session.streamNext(context, [])) {
      texts.push(new TextDecoder().decode(step[0]!.tensor.data));
    }
    expect(texts).toEqual(['a', 'b', 'c', 'd']);
    expect(counted.reduce((sum, [, n]) => sum + n, 0)).toBe(4);
    expect(counted.every(([model]) => model === 'tiny')).toBe(true);
  });

  it('outputs without usage JSON, or with something else in it, count nothing', () => {
    expect(outputTokens([{ name: '0', tensor: textTensor('text only') }])).toBeUndefined();
    expect(outputTokens([{ name: 'metadata', tensor: textTensor('not json') }])).toBeUndefined();
    expect(outputTokens([{ name: 'metadata', tensor: textTensor('{"output_tokens":"3"}') }])).toBeUndefined();
    expect(outputTokens([{ name: '1', tensor: textTensor('{"output_tokens":3}') }])).toBe(3);
    const tally = new TokenTally();
    expect([1, 1, 3, 2, 5].map((n) => tally.step([{ name: 'metadata', tensor: textTensor(`{"output_tokens":${n}}`) }]))).toEqual([1, 0, 2, 0, 2]);
  });
});
