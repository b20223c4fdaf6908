// Text in and out: tokenizer.json, the chat template, streaming, and folder discovery. Expected ids
// are worked out by hand from the fixture's vocabulary (<unk> <s> </s>, then TINY_WORDS in order).
import { tensorText, tensorView, type NamedTensor } from '@wacs/core/backend';
import { TINY_BOS, TINY_WORDS, writeTinyGenaiFolder } from '@wacs/fixtures';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genaiBackend, type GenaiGraph } from '../src/index.js';
import { generateIds, idsInput, ids as idsOf, loadFolder, metadata, output, prompt, tempDir } from './helpers.js';

const id = (word: string) => 3 + TINY_WORDS.indexOf(word);
const words = (ids: number[]) => ids.filter((i) => i >= 3).map((i) => TINY_WORDS[i - 3]).join(' ');

describe('text generation on the tiny decoder', () => {
  let graph: GenaiGraph;
  beforeAll(async () => {
    graph = await loadFolder(await writeTinyGenaiFolder(join(await tempDir(), 'tiny')));
  });
  afterAll(() => graph.dispose());

  it('tokenizes a prompt with tokenizer.json (BOS added) and decodes the reply', async () => {
    const outputs = await graph.createContext().compute([prompt('The cat sat'), metadata({ max_new_tokens: 10 })]);
    const generated = idsOf(outputs);
    expect(generated).toEqual(await generateIds(graph, [TINY_BOS, id('the'), id('cat'), id('sat')], { max_new_tokens: 10 }));
    expect(tensorText(output(outputs, 'response'))).toBe(words(generated));
  });

  it('renders a chat with the chat template from tokenizer_config.json', async () => {
    // "{bos}{role} {content} " per message, then "{bos}assistant".
    const rendered = [TINY_BOS, id('user'), id('hello'), id('world'), TINY_BOS, id('assistant')];
    const expected = await generateIds(graph, rendered, { max_new_tokens: 8 });
    const chat = (text: string) => graph.createContext().compute([prompt(text), metadata({ chat: true, max_new_tokens: 8 })]);
    expect(idsOf(await chat(JSON.stringify([{ role: 'user', content: 'hello world' }])))).toEqual(expected);
    expect(idsOf(await chat(JSON.stringify({ messages: [{ role: 'user', content: 'hello world' }] })))).toEqual(expected);
    expect(idsOf(await chat('hello world'))).toEqual(expected);
  });

  it('streams one step per token whose texts add up to the full response', async () => {
    const inputs = [prompt('the dog ran'), metadata({ max_new_tokens: 12 })];
    const full = await graph.createContext().compute(inputs);
    const stream = graph.createContext().stream!(inputs);
    const pieces: string[] = [];
    const stepIds: number[] = [];
    let step = await stream.next();
    for (; !step.done; step = await stream.next()) {
      pieces.push(tensorText(output(step.value, 'response')));
      stepIds.push(...Array.from(tensorView(output(step.value, 'output_ids')) as BigInt64Array, Number));
    }
    expect(pieces).toHaveLength(12);
    expect(stepIds).toEqual(idsOf(full));
    expect(pieces.join('')).toBe(tensorText(output(full, 'response')));
    expect(idsOf(step.value as NamedTensor[])).toEqual(idsOf(full));
  });

  it('generates from input_ids with metadata {"generate": true}, decoding the text too', async () => {
    const outputs = await graph.createContext().compute([idsInput([TINY_BOS, id('sun')], 'I32'), metadata({ generate: true, max_new_tokens: 5 })]);
    expect(outputs.map((o) => o.name)).toEqual(['response', 'output_ids']);
    expect(tensorText(output(outputs, 'response'))).toBe(words(idsOf(outputs)));
  });
});

describe('model folders', () => {
  it('are detected by their genai_config.json', async () => {
    expect(await genaiBackend.detect!({ isDirectory: true, entries: ['genai_config.json', 'model.onnx'], head: new Uint8Array() })).toBe(true);
    expect(await genaiBackend.detect!({ isDirectory: true, entries: ['model.json'], head: new Uint8Array() })).toBe(false);
    expect(await genaiBackend.detect!({ isDirectory: false, head: new Uint8Array([8, 7]) })).toBe(false);
  });
});
