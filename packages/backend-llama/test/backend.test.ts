// The llama backend through the host (as guests reach it), on a tiny random-weight llama written by
// @wacs/fixtures. Oracle: node-llama-cpp called directly on the same file with the same settings.
import { NnError, tensorText, tensorView, probeBytes } from '@wacs/core/backend';
import { probePath } from '@wacs/core/backend/node';
import { type NnHost, type NnSession } from '@wacs/core';
import { buildOnnxModel, tinyLlamaGguf, tinyLlamaInfo } from '@wacs/fixtures';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llama, llamaBackend } from '../src/index.js';
import { directChat, directCompletion, directModel, hostWith, outputMetadata, outputText, request, tempDir, tinyModelFile } from './helpers.js';

const PROMPT = 'Once upon a time';
const gpu = (await llama()).gpu;
/** Greedy without a repeat penalty: node-llama-cpp's plainest setting. */
const GREEDY = { temp: 0, 'repeat-penalty': 1 };

let path: string;
let host: NnHost;
let session: NnSession;

beforeAll(() => {
  path = tinyModelFile();
  host = hostWith({
    tiny: { path, options: { threads: 1, 'ctx-size': 256 } },
    // The default chat template brings node-llama-cpp's default system prompt: ~250 tiny-vocabulary tokens.
    chat: { path, options: { threads: 1, 'ctx-size': 1024 } },
    missing: { path: `${path}.missing` },
  });
  session = host.session();
});

afterAll(async () => {
  await session.close();
  await host.dispose();
});

async function context(name = 'tiny'): Promise<number> {
  return session.initContext(await session.loadByName(name));
}

async function failure(promise: Promise<unknown>): Promise<NnError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: NnError) => e,
  );
}

describe('llama backend: loading', () => {
  it('detects GGUF by its magic, not ONNX', async () => {
    expect(await llamaBackend.detect!(await probePath(path))).toBe(true);
    const onnx = buildOnnxModel({ inputs: [], outputs: [], nodes: [] });
    expect(await llamaBackend.detect!(probeBytes([onnx]))).toBe(false);
  });

  it('loads guest bytes through a private temporary file that is gone once loaded', async () => {
    const tmp = tempDir();
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // os.tmpdir() reads it on each call
    try {
      const graph = await session.load([tinyLlamaGguf()], 'ggml', 'cpu');
      expect(readdirSync(tmp)).toEqual([]);
      const ctx = await session.initContext(graph);
      const fromBytes = outputText(await session.compute(ctx, request(PROMPT, { ...GREEDY, 'n-predict': 8, threads: 1, 'ctx-size': 256 })));
      expect(fromBytes).toBe((await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 8, repeatPenalty: false })).text);
      await session.dropContext(ctx);
      await session.dropGraph(graph);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it('refuses a missing file, a non-GGUF file and GGUF v1 with clear errors, and keeps serving', async () => {
    expect(await failure(session.loadByName('missing'))).toMatchObject({ code: 'not-found', message: expect.stringContaining('model file not found') });
    const notGguf = await failure(session.load([new TextEncoder().encode('GGUF is what this is not')], 'ggml', 'cpu'));
    expect(notGguf.code).toBe('invalid-encoding');
    const v1 = await failure(session.load([tinyLlamaGguf({ version: 1 })], 'ggml', 'cpu'));
    expect(v1).toMatchObject({ code: 'invalid-encoding', message: expect.stringContaining('GGUF version 1 is not supported') });
    expect(outputText(await session.compute(await context(), request(PROMPT, { ...GREEDY, 'n-predict': 2 })))).not.toBe('');
  });

  it.skipIf(gpu !== false)('says there is no GPU when a guest asks for one on a CPU-only machine', async () => {
    expect(await failure(session.load([tinyLlamaGguf()], 'ggml', 'gpu'))).toMatchObject({ code: 'unsupported-operation', message: expect.stringContaining('no GPU') });
  });
});

describe('llama backend: generation', () => {
  it('is deterministic at temperature 0 and equals node-llama-cpp called directly, across contexts of one graph', async () => {
    const options = { ...GREEDY, 'n-predict': 24 };
    const [a, b] = await Promise.all([context(), context()]);
    const [first, concurrent] = await Promise.all([session.compute(a, request(PROMPT, options)), session.compute(b, request(PROMPT, options))]);
    const again = await session.compute(a, request(PROMPT, options));
    const direct = await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 24, repeatPenalty: false });
    expect(outputText(first)).toBe(direct.text);
    expect(outputText(concurrent)).toBe(direct.text);
    expect(outputText(again)).toBe(direct.text);
  });

  it('reports token counts: the prompt with its BOS, and exactly n-predict generated tokens', async () => {
    const outputs = await session.compute(await context(), request(PROMPT, { ...GREEDY, 'n-predict': 7 }));
    const metadata = outputMetadata(outputs);
    // The tiny vocabulary has the words whole: <s> Once ▁upon ▁a ▁time.
    expect(metadata).toMatchObject({ input_tokens: 5, output_tokens: 7 });
    expect(outputText(outputs, '1')).toBe(outputText(outputs, 'metadata'));
    expect(metadata).toHaveProperty('llama_build_number');
    expect(metadata).toHaveProperty('llama_commit');
    expect(outputText(outputs)).toBe((await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 7, repeatPenalty: false })).text);
  });

  it('samples like node-llama-cpp with the same seed and sampling options', async () => {
    const sampled = { temp: 0.9, seed: 42, 'top-k': 20, 'top-p': 0.9, 'min-p': 0.02, 'repeat-penalty': 1.3, 'n-predict': 24 };
    const ours = outputText(await session.compute(await context(), request(PROMPT, sampled)));
    const direct = await directCompletion(path, PROMPT, { temperature: 0.9, seed: 42, topK: 20, topP: 0.9, minP: 0.02, repeatPenalty: { penalty: 1.3 }, maxTokens: 24 });
    expect(ours).toBe(direct.text);
    const greedy = outputText(await session.compute(await context(), request(PROMPT, { ...GREEDY, 'n-predict': 24 })));
    expect(ours).not.toBe(greedy);
  });

  it('stops before the reverse prompt (matched on the text, spaces included), in compute and in a stream', async () => {
    const full = outputText(await session.compute(await context(), request(PROMPT, { ...GREEDY, 'n-predict': 24 })));
    const space = full.indexOf(' ', 12);
    const stop = full.slice(space - 2, space + 3);
    const expected = full.slice(0, full.indexOf(stop));
    const options = { ...GREEDY, 'n-predict': 24, 'reverse-prompt': stop };
    expect(outputText(await session.compute(await context(), request(PROMPT, options)))).toBe(expected);
    const ctx = await context();
    let streamed = '';
    for (let step = await session.streamNext(ctx, request(PROMPT, options)); step; step = await session.streamNext(ctx, [])) streamed += outputText(step);
    expect(streamed).toBe(expected);
  });

  it('stops before the earliest of several reverse prompts, wherever it is in the list, in compute and in a stream', async () => {
    const full = outputText(await session.compute(await context(), request(PROMPT, { ...GREEDY, 'n-predict': 24 })));
    // Two texts from the greedy output (the later one listed first) and one that never appears.
    const early = full.slice(8, 11);
    let late = '';
    for (let at = full.length - 4; at > 11 && !late; at--) if (full.indexOf(full.slice(at, at + 4)) > full.indexOf(early)) late = full.slice(at, at + 4);
    expect(late, full).not.toBe('');
    const expected = full.slice(0, full.indexOf(early));
    const options = { ...GREEDY, 'n-predict': 24, 'reverse-prompt': [late, 'never in this text', early] };
    expect(outputText(await session.compute(await context(), request(PROMPT, options)))).toBe(expected);
    const ctx = await context();
    const steps: string[] = [];
    for (let step = await session.streamNext(ctx, request(PROMPT, options)); step; step = await session.streamNext(ctx, [])) steps.push(outputText(step));
    expect(steps.join('')).toBe(expected);
    // Only the late text: the output runs up to it.
    const onlyLate = { ...GREEDY, 'n-predict': 24, 'reverse-prompt': ['never in this text', late] };
    expect(outputText(await session.compute(await context(), request(PROMPT, onlyLate)))).toBe(full.slice(0, full.indexOf(late)));
  });

  it('follows a GBNF grammar and a JSON schema', async () => {
    const ctx = await context();
    const answer = outputText(await session.compute(ctx, request('Is it?', { ...GREEDY, 'n-predict': 16, grammar: 'root ::= "yes" | "no"' })));
    expect(['yes', 'no']).toContain(answer);
    const schema = { type: 'object', properties: { answer: { enum: ['yes', 'no'] }, sure: { type: 'boolean' } }, required: ['answer', 'sure'] };
    const json = outputText(await session.compute(ctx, request('Answer in JSON:', { ...GREEDY, 'n-predict': 64, 'json-schema': JSON.stringify(schema) })));
    const value = JSON.parse(json) as { answer: string; sure: boolean };
    expect(['yes', 'no']).toContain(value.answer);
    expect(typeof value.sure).toBe('boolean');
  });

  it('returns an embedding with the model\'s dimension, as WasmEdge JSON and as FP32', async () => {
    const outputs = await session.compute(await context(), request('hello world', { embedding: true }));
    const { embeddingLength } = tinyLlamaInfo();
    const vector = Array.from(tensorView(outputs.find((o) => o.name === 'embedding')!.tensor) as Float32Array);
    expect(vector).toHaveLength(embeddingLength);
    const json = JSON.parse(outputText(outputs)) as { n_embedding: number; embedding: number[] };
    expect(json.n_embedding).toBe(embeddingLength);
    expect(json.embedding).toEqual(vector);
    const embedder = await (await directModel(path)).createEmbeddingContext({ contextSize: 256, threads: 1 });
    const direct = (await embedder.getEmbeddingFor('hello world')).vector;
    await embedder.dispose();
    vector.forEach((v, i) => expect(v).toBeCloseTo(direct[i]!, 5));
  });

  it('tokenizes a raw prompt as llama.cpp and WasmEdge do: special-token text becomes that token', async () => {
    const prompt = 'Once </s> upon a time';
    const model = await directModel(path);
    const parsed = model.tokenize(prompt, true).length + 1; // + BOS
    const asText = model.tokenize(prompt, false).length + 1;
    expect(parsed).toBeLessThan(asText); // "</s>" is one control token, or several pieces of text
    const outputs = await session.compute(await context(), request(prompt, { ...GREEDY, 'n-predict': 4 }));
    expect(outputMetadata(outputs).input_tokens).toBe(parsed);
    expect(outputText(outputs)).toBe((await directCompletion(path, prompt, { temperature: 0, maxTokens: 4, repeatPenalty: false })).text);
  });

  it('chats with the model\'s template, keeping the conversation in the context', async () => {
    const ctx = await context('chat');
    const chat = { ...GREEDY, chat: true, 'n-predict': 10 };
    const first = await session.compute(ctx, request('Hello there', chat));
    const second = await session.compute(ctx, request('And then?', chat));
    const direct = await directChat(path, ['Hello there', 'And then?'], { temperature: 0, maxTokens: 10, repeatPenalty: false }, 1024);
    expect([outputText(first), outputText(second)]).toEqual(direct);
    // The second turn's input is the whole conversation so far.
    const [one, two] = [outputMetadata(first).input_tokens as number, outputMetadata(second).input_tokens as number];
    expect(two).toBeGreaterThan(one + 10);
  });
});

describe('llama backend: streaming', () => {
  it('streams one token per step, adding up to what compute gives', async () => {
    const options = { ...GREEDY, 'n-predict': 12 };
    const whole = outputText(await session.compute(await context(), request(PROMPT, options)));
    const ctx = await context();
    const steps: string[] = [];
    for (let step = await session.streamNext(ctx, request(PROMPT, options)); step; step = await session.streamNext(ctx, [])) {
      steps.push(outputText(step));
      expect(outputMetadata(step)).toMatchObject({ input_tokens: 5, output_tokens: steps.length });
    }
    expect(steps).toHaveLength(12);
    expect(steps.join('')).toBe(whole);
  });

  it('ends a stream early, and the context computes again', async () => {
    const ctx = await context();
    await session.streamNext(ctx, request(PROMPT, { ...GREEDY, 'n-predict': 200 }));
    await session.streamNext(ctx, []);
    await session.streamEnd(ctx);
    const next = await session.compute(ctx, request(PROMPT, { ...GREEDY, 'n-predict': 3 }));
    expect(outputMetadata(next)).toMatchObject({ output_tokens: 3 });
  });
});

describe('llama backend: limits', () => {
  it('refuses a prompt longer than the context (prompt-too-long), and the context goes on', async () => {
    const ctx = await context();
    const long = Array.from({ length: 40 }, () => 'Once upon a time').join(' ');
    const error = await failure(session.compute(ctx, request(long, { 'ctx-size': 64 })));
    expect(error).toMatchObject({ code: 'invalid-argument', reason: 'prompt-too-long' });
    expect(error.message).toMatch(/161 tokens.*holds 64/);
    expect(outputMetadata(await session.compute(ctx, request(PROMPT, { ...GREEDY, 'ctx-size': 256, 'n-predict': 4 })))).toMatchObject({ output_tokens: 4 });
  });

  it('reports a full context (context-full) in compute and at the end of a stream', async () => {
    const ctx = await context();
    const full = { ...GREEDY, 'ctx-size': 32, 'n-predict': -1 };
    expect(await failure(session.compute(ctx, request(PROMPT, full)))).toMatchObject({ code: 'runtime-error', reason: 'context-full' });
    let streamed = 0;
    const error = await failure(
      (async () => {
        for (let step = await session.streamNext(ctx, request(PROMPT, full)); step; step = await session.streamNext(ctx, [])) streamed++;
      })(),
    );
    expect(error).toMatchObject({ reason: 'context-full' });
    // 32 places: 5 prompt tokens, then 27 generated (the last one sampled, never evaluated).
    expect(streamed).toBe(27);
    expect(outputMetadata(await session.compute(ctx, request(PROMPT, { 'ctx-size': null, 'n-predict': 4 })))).toMatchObject({ output_tokens: 4 });
  });

  it('names bad inputs and options', async () => {
    const ctx = await context();
    expect((await failure(session.compute(ctx, [{ name: 'text', tensor: request('x')[0]!.tensor }]))).message).toContain('unknown input "text"');
    expect((await failure(session.compute(ctx, request('x', { 'n-predict': 'three' })))).message).toContain('"n-predict" must be an integer');
    expect((await failure(session.compute(ctx, request('x', { threads: 1024 })))).message).toMatch(/"threads" 1024 is more threads than this machine's \d+ cores/);
    // A key the backend does not know (a guest written for another runtime) is ignored.
    expect(outputMetadata(await session.compute(ctx, request(PROMPT, { ...GREEDY, 'n-predict': 2, 'n-predcit': 3 })))).toMatchObject({ output_tokens: 2 });
    // A load-time key per compute is accepted, as WasmEdge accepts it (the shared model stays as loaded).
    expect(outputMetadata(await session.compute(ctx, request('x', { 'n-gpu-layers': 5, 'n-predict': 1 })))).toMatchObject({ output_tokens: 1 });
    const bad = await failure(session.compute(ctx, request('x', { grammar: 'root ::= "unclosed' })));
    expect(bad).toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('grammar') });
    // A failed option is not kept: the next compute works without clearing it.
    expect(tensorText((await session.compute(ctx, request(PROMPT, { ...GREEDY, 'n-predict': 1 })))[0]!.tensor)).not.toBe('');
  });
});
