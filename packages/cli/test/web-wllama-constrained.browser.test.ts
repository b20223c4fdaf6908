/**
 * GGUF models in Chromium with `grammar`, `json-schema` and `embedding` on @wacs/backend-wllama:
 * through the llm-chat guest in a `wacs web` page and through the backend in the same page, against
 * wllama called directly there with the same request (llama-server's `grammar` and `json_schema`,
 * createEmbedding), and against backend-llama under Node (node-llama-cpp) for the error codes and
 * the embedding's conventions. The model is the fixtures' tiny llama, written here, so this runs on
 * a fresh clone.
 */
import type { NamedTensor } from '@wacs/core/backend';
import { llamaBackend } from '@wacs/backend-llama';
import { guest, tinyLlamaGguf, tinyLlamaInfo } from '@wacs/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from './browser/chromium.js';
import { launch, runInPage } from './browser/page.js';
import { backendComputes, directChatReply, directCompletion, directEmbedding, type ComputeResult, type DirectCompletion, type DirectEmbedding, type ReadOutput } from './browser/wllama.js';

const { path: chromiumPath } = chromium();
const GREEDY = ['--set', 'temp=0', '--set', 'repeat-penalty=1'];
const GREEDY_METADATA = { temp: 0, 'repeat-penalty': 1 };
/** The direct calls' sampling: the backend's defaults, greedy. The tiny llama's training context (256) is its default context size. */
const DIRECT = { nCtx: 256, threads: 1, temperature: 0, repeatPenalty: 1 };
/** A schema whose every answer is short: a yes/no field and a bounded integer. */
const SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string', enum: ['yes', 'no'] }, count: { type: 'integer', minimum: 0, maximum: 99 } },
  required: ['answer', 'count'],
  additionalProperties: false,
};

function outputsOf(result: ComputeResult | undefined): ReadOutput[] {
  if (!result || !('outputs' in result)) throw new Error(`the compute failed: ${JSON.stringify(result)}`);
  return result.outputs;
}

const output = (outputs: ReadOutput[], name: string) => outputs.find((o) => o.name === name)!;

/** backend-llama (node-llama-cpp) under Node on the same file: one context, the requests in turn. */
async function llamaComputes(path: string, requests: Array<{ prompt: string; metadata: Record<string, unknown> }>): Promise<Array<NamedTensor[] | { code: string; message: string }>> {
  const graph = await llamaBackend.load({ source: { kind: 'path', path }, encoding: 'ggml', target: 'cpu', options: { threads: 1 } });
  const context = await graph.createContext();
  const bytes = (text: string) => new TextEncoder().encode(text);
  const results = [];
  for (const { prompt, metadata } of requests) {
    const inputs = [
      { name: 'prompt', tensor: { type: 'U8' as const, dimensions: [bytes(prompt).length], data: bytes(prompt) } },
      { name: 'metadata', tensor: { type: 'U8' as const, dimensions: [bytes(JSON.stringify(metadata)).length], data: bytes(JSON.stringify(metadata)) } },
    ];
    results.push(await context.compute(inputs).catch((e: { code: string; message: string }) => ({ code: e.code, message: e.message })));
  }
  await context.dispose();
  await graph.dispose();
  return results;
}

describe.skipIf(!chromiumPath)('GGUF in Chromium on wllama: grammar, JSON schema, embedding', () => {
  let browser: Browser;
  let model: string;
  beforeAll(async () => {
    browser = await launch(chromiumPath!);
    model = join(mkdtempSync(join(tmpdir(), 'wacs-web-gguf-constrained-')), 'tiny.gguf');
    writeFileSync(model, tinyLlamaGguf());
  });
  afterAll(() => browser?.close());

  it('a GBNF grammar: the greedy answer is one the grammar allows, as wllama gives it directly with that grammar', async () => {
    const grammar = 'root ::= "yes" | "no"';
    let direct: DirectCompletion | undefined;
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', '--no-stream', ...GREEDY, '--set', 'n-predict=8', '--set', `grammar=${grammar}`, 'Is it so?'],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-grammar',
      afterRun: async (p) => {
        direct = await directCompletion(p, 'tiny', 'Is it so?', { ...DIRECT, nPredict: 8, grammar });
      },
    });
    expect(page.stderr).toBe('');
    expect(page.exitCode).toBe(0);
    expect(['yes', 'no']).toContain(direct!.text);
    expect(page.stdout).toBe(`${direct!.text}\n`);
  });

  it('a grammar with several parts, streamed: every token obeys it, and the text is wllama\'s', async () => {
    const grammar = 'root ::= item ", " item ", " item\nitem ::= "cat" | "dog" | "sun"';
    let direct: DirectCompletion | undefined;
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', ...GREEDY, '--set', 'n-predict=32', '--set', `grammar=${grammar}`, 'Three words:'],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-grammar-streamed',
      afterRun: async (p) => {
        direct = await directCompletion(p, 'tiny', 'Three words:', { ...DIRECT, nPredict: 32, grammar });
      },
    });
    expect(page.exitCode).toBe(0);
    // The grammar ends by itself, well before n-predict: the whole sentence, nothing after it.
    expect(direct!.text).toMatch(/^(cat|dog|sun), (cat|dog|sun), (cat|dog|sun)$/);
    expect(page.stdout).toBe(`${direct!.text}\n`);
    expect(page.stdoutPieces).toBeGreaterThan(2);
  });

  it("a grammar in chat mode: the reply obeys it, as wllama's chat completion gives it with that grammar", async () => {
    const grammar = 'root ::= "yes" | "no"';
    let direct: DirectCompletion | undefined;
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--no-stream', '--stats', ...GREEDY, '--set', 'n-predict=8', '--set', `grammar=${grammar}`, 'Is it so?'],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-chat-grammar',
      afterRun: async (p) => {
        direct = await directChatReply(p, 'tiny', 'Is it so?', { ...DIRECT, nPredict: 8, grammar });
      },
    });
    expect(page.exitCode).toBe(0);
    expect(['yes', 'no']).toContain(direct!.text);
    const [answer, stats] = page.stdout.split('\n');
    expect(answer).toBe(direct!.text);
    // The chat template wrapped the message: more prompt tokens than the three words.
    expect(direct!.promptTokens).toBeGreaterThan(5);
    expect(stats).toMatch(new RegExp(`^\\[stats\\] input_tokens=${direct!.promptTokens} `));
  });

  it("a malformed grammar is the guest's invalid-argument, backend-llama's code; the context keeps its earlier options", async () => {
    const bad = { grammar: 'root ::= "unclosed' };
    let computes: ComputeResult[] = [];
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', '--set', `grammar=${bad.grammar}`, 'Is it so?'],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-bad-grammar',
      afterRun: async (p) => {
        computes = await backendComputes(p, 'tiny', [
          { prompt: 'Once upon a time', metadata: { ...GREEDY_METADATA, 'n-predict': 8 } },
          { prompt: 'Once upon a time', metadata: bad },
          { prompt: 'Once upon a time' },
        ]);
      },
    });
    expect(page.exitCode).not.toBe(0);
    expect(page.stdout).toMatch(/error: wasi-nn error invalid-argument: the grammar does not compile: .*failed to parse grammar/);
    const [llamaBad] = await llamaComputes(model, [{ prompt: 'Is it so?', metadata: bad }]);
    expect(computes[1]).toEqual({ error: { code: (llamaBad as { code: string }).code, message: expect.stringContaining('the grammar does not compile') } });
    // The bad grammar was not kept: the next compute is the first one again (greedy, 8 tokens).
    expect(output(outputsOf(computes[2]), '0').text).toBe(output(outputsOf(computes[0]), '0').text);
  });

  it('a JSON schema: the output parses as JSON and follows the schema, as wllama gives it directly with json_schema; in chat mode too', async () => {
    let direct: DirectCompletion | undefined;
    let chat: ComputeResult | undefined;
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', '--no-stream', ...GREEDY, '--set', 'n-predict=96', '--set', `json-schema=${JSON.stringify(SCHEMA)}`, 'Answer in JSON:'],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-json-schema',
      afterRun: async (p) => {
        direct = await directCompletion(p, 'tiny', 'Answer in JSON:', { ...DIRECT, nPredict: 96, jsonSchema: SCHEMA });
        [chat] = await backendComputes(p, 'tiny', [{ prompt: 'Answer in JSON:', metadata: { ...GREEDY_METADATA, chat: true, 'n-predict': 96, 'json-schema': SCHEMA } }]);
      },
    });
    expect(page.exitCode).toBe(0);
    expect(page.stdout).toBe(`${direct!.text}\n`);
    for (const text of [direct!.text, output(outputsOf(chat), '0').text!]) {
      const answer = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(answer).sort()).toEqual(['answer', 'count']);
      expect(['yes', 'no']).toContain(answer.answer);
      expect(Number.isInteger(answer.count)).toBe(true);
      expect(answer.count).toBeGreaterThanOrEqual(0);
      expect(answer.count).toBeLessThanOrEqual(99);
    }
  });

  it("a schema llama.cpp cannot turn into a grammar is the guest's invalid-argument", async () => {
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', '--set', 'json-schema={"type":"no-such-type"}', 'Answer in JSON:'],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-bad-json-schema',
    });
    expect(page.exitCode).not.toBe(0);
    expect(page.stdout).toMatch(/error: wasi-nn error invalid-argument: the JSON schema cannot be turned into a grammar/);
  });

  it("an embedding equals wllama's createEmbedding on the same text, with backend-llama's outputs and vector", async () => {
    const text = 'the cat sat on the mat';
    let direct: DirectEmbedding | undefined;
    let computes: ComputeResult[] = [];
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'tiny', '--raw', '--no-stream', '--set', 'embedding=true', text],
      models: [{ name: 'tiny', spec: { path: model, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-embedding',
      afterRun: async (p) => {
        // The tiny llama declares no pooling: the last token's vector, as node-llama-cpp returns it.
        direct = await directEmbedding(p, 'tiny', text, { nCtx: 256, threads: 1, pooling: 'last' });
        computes = await backendComputes(p, 'tiny', [
          { prompt: 'Once upon a time', metadata: { ...GREEDY_METADATA, 'n-predict': 8 } },
          { prompt: text, metadata: { embedding: true } },
          // Back to generating on the same context: the generation engine is still there.
          { prompt: 'Once upon a time', metadata: { embedding: false } },
          { prompt: Array.from({ length: 300 }, () => 'the cat').join(' '), metadata: { embedding: true } },
          { prompt: '', metadata: { embedding: true } },
        ]);
      },
    });
    const { embeddingLength } = tinyLlamaInfo();
    expect(direct!.vector).toHaveLength(embeddingLength);

    // The guest prints output 0: WasmEdge's JSON.
    expect(page.exitCode).toBe(0);
    const printed = JSON.parse(page.stdout) as { n_embedding: number; embedding: number[] };
    expect(printed.n_embedding).toBe(embeddingLength);
    printed.embedding.forEach((v, i) => expect(v).toBeCloseTo(direct!.vector[i]!, 5));

    // Through the backend: output 0 the JSON, the metadata, and "embedding", FP32 [n_embd].
    const outputs = outputsOf(computes[1]);
    expect(outputs.map((o) => o.name)).toEqual(['0', '1', 'metadata', 'embedding']);
    const vector = output(outputs, 'embedding');
    expect(vector).toMatchObject({ type: 'FP32', dimensions: [embeddingLength] });
    vector.values!.forEach((v, i) => expect(v).toBeCloseTo(direct!.vector[i]!, 5));
    expect(JSON.parse(output(outputs, '0').text!)).toEqual({ n_embedding: embeddingLength, embedding: vector.values });
    expect(JSON.parse(output(outputs, 'metadata').text!)).toMatchObject({ input_tokens: direct!.promptTokens, output_tokens: 0 });
    expect(output(outputsOf(computes[2]), '0').text).toBe(output(outputsOf(computes[0]), '0').text);
    expect(computes[3]).toEqual({ error: { code: 'invalid-argument', message: expect.stringMatching(/^the prompt does not fit the context of 256 tokens/) } });

    // backend-llama under Node: the same outputs, the same counts, the same vector (another build of llama.cpp: close, not equal).
    const [llama] = (await llamaComputes(model, [{ prompt: text, metadata: { embedding: true } }])) as [NamedTensor[]];
    expect(llama.map((o) => o.name)).toEqual(outputs.map((o) => o.name));
    const llamaVector = llama.find((o) => o.name === 'embedding')!.tensor;
    expect({ type: llamaVector.type, dimensions: llamaVector.dimensions }).toEqual({ type: vector.type, dimensions: vector.dimensions });
    const llamaValues = Array.from(new Float32Array(llamaVector.data.slice().buffer));
    // Differences in the last digits only: the same token's vector, neither normalised (a wrong token or an L2-normalised vector is off by its whole length).
    const distance = Math.hypot(...llamaValues.map((v, i) => v - vector.values![i]!));
    expect(distance / Math.hypot(...llamaValues)).toBeLessThan(1e-3);
    const llamaMetadata = JSON.parse(new TextDecoder().decode(llama.find((o) => o.name === 'metadata')!.tensor.data)) as Record<string, unknown>;
    expect(llamaMetadata.input_tokens).toBe(direct!.promptTokens);

    // An empty prompt: no vector, as backend-llama gives (llama.cpp alone would embed the beginning-of-text token).
    const [llamaEmpty] = (await llamaComputes(model, [{ prompt: '', metadata: { embedding: true } }])) as [NamedTensor[]];
    const empty = outputsOf(computes[4]);
    expect(JSON.parse(output(empty, '0').text!)).toEqual({ n_embedding: 0, embedding: [] });
    expect(output(empty, 'embedding')).toMatchObject({ type: 'FP32', dimensions: [0] });
    const llamaText = (name: string) => JSON.parse(new TextDecoder().decode(llamaEmpty.find((o) => o.name === name)!.tensor.data)) as Record<string, unknown>;
    expect(JSON.parse(output(empty, '0').text!)).toEqual(llamaText('0'));
    expect(JSON.parse(output(empty, 'metadata').text!).input_tokens).toBe(llamaText('metadata').input_tokens);
  });

  it('a model that declares its pooling (mean) embeds with it, as wllama and backend-llama do', async () => {
    const meanModel = join(mkdtempSync(join(tmpdir(), 'wacs-web-gguf-mean-')), 'tiny-mean.gguf');
    writeFileSync(meanModel, tinyLlamaGguf({ pooling: 'mean' }));
    const text = 'the cat sat on the mat';
    let mean: DirectEmbedding | undefined;
    let last: DirectEmbedding | undefined;
    const page = await runInPage(browser, guest('llm-chat'), {
      args: ['--model', 'mean', '--raw', '--no-stream', '--set', 'embedding=true', text],
      models: [{ name: 'mean', spec: { path: meanModel, options: { threads: 1 } } }],
      screenshot: 'llm-chat-tiny-gguf-embedding-mean',
      afterRun: async (p) => {
        mean = await directEmbedding(p, 'mean', text, { nCtx: 256, threads: 1, pooling: 'mean' });
        last = await directEmbedding(p, 'mean', text, { nCtx: 256, threads: 1, pooling: 'last' });
      },
    });
    expect(page.exitCode).toBe(0);
    const printed = (JSON.parse(page.stdout) as { embedding: number[] }).embedding;
    printed.forEach((v, i) => expect(v).toBeCloseTo(mean!.vector[i]!, 5));
    // Not the last token's vector: the pooling made a difference.
    expect(Math.hypot(...printed.map((v, i) => v - last!.vector[i]!))).toBeGreaterThan(0.1);
    const [llama] = (await llamaComputes(meanModel, [{ prompt: text, metadata: { embedding: true } }])) as [NamedTensor[]];
    const llamaValues = Array.from(new Float32Array(llama.find((o) => o.name === 'embedding')!.tensor.data.slice().buffer));
    const distance = Math.hypot(...llamaValues.map((v, i) => v - printed[i]!));
    expect(distance / Math.hypot(...llamaValues)).toBeLessThan(1e-3);
  });
});
