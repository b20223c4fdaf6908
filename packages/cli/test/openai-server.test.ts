// guests/openai-server under wacs serve, driven by the official `openai` client, against a tiny GGUF
// model (random weights, made in code) and node-llama-cpp called directly on the same file.
import llamaBackend, { llama } from '@wacs/backend-llama';
import { BackendRegistry, ModelRegistry, NnHost, startServer, type WacsServer } from '@wacs/core';
import { guest, tinyLlamaGguf, tinyLlamaInfo } from '@wacs/fixtures';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlamaChatSession, LlamaCompletion, type ChatHistoryItem } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Room for a conversation in the tiny model's 512-token-vocabulary template.
const CONTEXT = 1024;
let path: string;
let server: WacsServer;
let client: OpenAI;

beforeAll(async () => {
  path = join(mkdtempSync(join(tmpdir(), 'wacs-openai-')), 'tiny.gguf');
  writeFileSync(path, tinyLlamaGguf());
  const backends = new BackendRegistry();
  backends.register(llamaBackend);
  const models = new ModelRegistry();
  models.add('tiny', { path, target: 'cpu', options: { threads: 1, 'ctx-size': CONTEXT } });
  const host = new NnHost(backends, models, { log: () => {} });
  server = await startServer(new Uint8Array(readFileSync(guest('openai-server'))), host, {
    port: 0,
    log: 'off',
    instances: 2,
    env: { OPENAI_MODELS: 'tiny' },
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => server?.close());

/**
 * node-llama-cpp directly: greedy, no penalties, as the guest asks the backend. A chat is the
 * conversation before the prompt (exactly the messages given: no default system prompt) and the
 * prompt as the last user message.
 */
async function direct(kind: 'chat' | 'completion', prompt: string, maxTokens: number, history: ChatHistoryItem[] = []): Promise<string> {
  const model = await (await llama()).loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: CONTEXT, threads: 1, sequences: 1 });
  try {
    const options = { temperature: 0, maxTokens, repeatPenalty: false as const };
    if (kind === 'chat') {
      const chat = new LlamaChatSession({ contextSequence: context.getSequence() });
      chat.setChatHistory(history);
      return await chat.prompt(prompt, options);
    }
    // Tokenized as llama.cpp tokenizes a raw prompt (special tokens parsed), as backend-llama does.
    return await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion(model.tokenize(prompt, true), options);
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

describe('openai-server with the openai client', () => {
  it('lists the models named in OPENAI_MODELS', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny']);
    expect((await client.models.retrieve('tiny')).id).toBe('tiny');
  });

  it('chat: the reply equals node-llama-cpp chatting directly (greedy), with usage and finish_reason', async () => {
    const reply = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hello there' }], temperature: 0, max_tokens: 8 });
    expect(reply.object).toBe('chat.completion');
    expect(reply.choices[0]!.message.role).toBe('assistant');
    expect(reply.choices[0]!.message.content).toBe(await direct('chat', 'Hello there', 8));
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    expect(reply.usage!.completion_tokens).toBeLessThanOrEqual(8);
    expect(reply.usage!.total_tokens).toBe(reply.usage!.prompt_tokens + reply.usage!.completion_tokens);
    expect(reply.choices[0]!.finish_reason).toBe(reply.usage!.completion_tokens === 8 ? 'length' : 'stop');
  });

  it('a conversation (system, user, assistant, user) goes through the chat template whole: reply and prompt tokens as node-llama-cpp gives them', async () => {
    const history: ChatHistoryItem[] = [
      { type: 'system', text: 'You answer in rhymes.' },
      { type: 'user', text: 'Hello there' },
      { type: 'model', response: ['Hi, how do you do?'] },
    ];
    const reply = await client.chat.completions.create({
      model: 'tiny',
      messages: [
        { role: 'system', content: 'You answer in rhymes.' },
        { role: 'user', content: 'Hello there' },
        { role: 'assistant', content: 'Hi, how do you do?' },
        { role: 'user', content: [{ type: 'text', text: 'Tell me a story' }] },
      ],
      temperature: 0,
      max_tokens: 8,
    });
    expect(reply.choices[0]!.message.content).toBe(await direct('chat', 'Tell me a story', 8, history));
    // The oracle: the template's rendering of the whole conversation, up to the reply, in tokens.
    const model = await (await llama()).loadModel({ modelPath: path, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: CONTEXT, threads: 1, sequences: 1 });
    try {
      const wrapper = new LlamaChatSession({ contextSequence: context.getSequence() }).chatWrapper;
      const tokens = (chatHistory: ChatHistoryItem[]) =>
        wrapper.generateContextState({ chatHistory: [...chatHistory, { type: 'model', response: [] }] }).contextText.tokenize(model.tokenizer).length;
      const whole = tokens([...history, { type: 'user', text: 'Tell me a story' }]);
      expect(reply.usage!.prompt_tokens).toBe(whole);
      expect(whole).toBeGreaterThan(tokens([{ type: 'user', text: 'Tell me a story' }]));
    } finally {
      await context.dispose();
      await model.dispose();
    }
    const endsWithAssistant = await client.chat.completions
      .create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] })
      .catch((e: unknown) => e);
    expect(endsWithAssistant).toBeInstanceOf(OpenAI.BadRequestError);
    expect((endsWithAssistant as Error).message).toMatch(/last message must be the user/);
  });

  it('streamed chat: server-sent chunks whose deltas concatenate to the non-streamed reply, ending [DONE]', async () => {
    const request = { model: 'tiny', messages: [{ role: 'user' as const, content: 'Once upon a time' }], temperature: 0, max_tokens: 10 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let deltas = 0;
    const finishes: Array<string | null> = [];
    let usage;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        if (choice.delta.content) deltas++;
        finishes.push(choice.finish_reason);
      }
      usage ??= chunk.usage ?? undefined;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    // Token by token: one delta per chunk the backend produced, not the whole text at the end.
    expect(deltas).toBeGreaterThan(1);
    expect(finishes.at(-1)).toBe(whole.choices[0]!.finish_reason);
    expect(usage).toEqual(whole.usage);
    // The raw stream ends with the [DONE] sentinel the client consumes silently.
    const raw = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ ...request, stream: true }) });
    expect(raw.headers.get('content-type')).toBe('text/event-stream');
    expect((await raw.text()).endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('completions: raw text equal to node-llama-cpp completing directly, streamed or not', async () => {
    const reply = await client.completions.create({ model: 'tiny', prompt: 'The little cat', temperature: 0, max_tokens: 6 });
    expect(reply.choices[0]!.text).toBe(await direct('completion', 'The little cat', 6));
    const pieces: string[] = [];
    for await (const chunk of await client.completions.create({ model: 'tiny', prompt: 'The little cat', temperature: 0, max_tokens: 6, stream: true })) {
      if (chunk.choices[0]?.text) pieces.push(chunk.choices[0].text);
    }
    expect(pieces.join('')).toBe(reply.choices[0]!.text);
    expect(pieces.length).toBeGreaterThan(1);
  });

  it('stop: up to 4 sequences; the text ends before the earliest that appears, streamed or not', async () => {
    const full = await direct('completion', 'The little cat', 16);
    // Two texts from the greedy completion (the later one listed first) and one that never appears.
    const early = full.slice(6, 9);
    let late = '';
    for (let at = full.length - 4; at > 9 && !late; at--) if (full.indexOf(full.slice(at, at + 4)) > full.indexOf(early)) late = full.slice(at, at + 4);
    expect(late, full).not.toBe('');
    const request = { model: 'tiny', prompt: 'The little cat', temperature: 0, max_tokens: 16, stop: [late, 'never in this text', early] };
    const reply = await client.completions.create(request);
    expect(reply.choices[0]!.text).toBe(full.slice(0, full.indexOf(early)));
    expect(reply.choices[0]!.finish_reason).toBe('stop');
    let streamed = '';
    for await (const chunk of await client.completions.create({ ...request, stream: true })) streamed += chunk.choices[0]?.text ?? '';
    expect(streamed).toBe(reply.choices[0]!.text);
    const tooMany = await client.completions.create({ ...request, stop: ['a', 'b', 'c', 'd', 'e'] }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooMany as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('stop');
  });

  it('a streamed request for an unknown model is a 404 before any event', async () => {
    const error = await client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }], stream: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("embeddings: one vector of the model's width per input, float and base64 alike", async () => {
    const { embeddingLength } = tinyLlamaInfo();
    const result = await client.embeddings.create({ model: 'tiny', input: ['hello world', 'a cat'], encoding_format: 'float' });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]!.embedding).toHaveLength(embeddingLength);
    expect(result.data[0]!.embedding).not.toEqual(result.data[1]!.embedding);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    // The client asks for base64 by default and decodes it: the same floats.
    const decoded = await client.embeddings.create({ model: 'tiny', input: 'hello world' });
    expect(decoded.data[0]!.embedding).toEqual(result.data[0]!.embedding);
  });

  it('an unknown model is 404 model_not_found in OpenAI error JSON', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    expect((error as Error).message).toMatch(/gpt-nope/);
  });

  it('bad requests are 400 naming the parameter', async () => {
    const noMessages = await client.chat.completions.create({ model: 'tiny', messages: [] }).catch((e: unknown) => e);
    expect(noMessages).toBeInstanceOf(OpenAI.BadRequestError);
    expect((noMessages as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
    const hot = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], temperature: 9 }).catch((e: unknown) => e);
    expect(hot).toBeInstanceOf(OpenAI.BadRequestError);
    expect((hot as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    const notJson = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
  });
});
