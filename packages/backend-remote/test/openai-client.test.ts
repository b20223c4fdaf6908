// The requests backend-remote sends match what the official `openai` npm client sends for the same
// call: both go to one recording server, and the paths, JSON bodies and auth headers must be equal.
import { jsonTensor, textTensor, type Graph, type NamedTensor } from '@wacs/core';
import OpenAI from 'openai';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteBackend } from '../src/index.js';
import { sendJson, startServer, type Recorded, type TestServer } from './servers/http-server.js';

const KEY = 'sk-test-not-a-secret';
let server: TestServer;
let client: OpenAI;
let graph: Graph;

function answer(request: Recorded, res: ServerResponse): void {
  if (request.path === '/v1/models') return sendJson(res, 200, { object: 'list', data: [{ id: 'm', object: 'model' }] });
  const body = JSON.parse(request.body.toString()) as { stream?: boolean };
  const usage = { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 };
  if (request.path === '/v1/embeddings') return sendJson(res, 200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5, -1] }], model: 'm', usage });
  const chat = request.path === '/v1/chat/completions';
  const choice = chat ? { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' } : { index: 0, text: 'ok', finish_reason: 'stop' };
  if (!body.stream) return sendJson(res, 200, { id: 'x', object: chat ? 'chat.completion' : 'text_completion', created: 0, model: 'm', choices: [choice], usage });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const delta = chat ? { index: 0, delta: { content: 'ok' }, finish_reason: 'stop' } : choice;
  res.write(`data: ${JSON.stringify({ id: 'x', object: chat ? 'chat.completion.chunk' : 'text_completion', created: 0, model: 'm', choices: [delta] })}\n\n`);
  res.write(`data: ${JSON.stringify({ id: 'x', object: chat ? 'chat.completion.chunk' : 'text_completion', created: 0, model: 'm', choices: [], usage })}\n\n`);
  res.end('data: [DONE]\n\n');
}

beforeAll(async () => {
  server = await startServer(answer);
  process.env.WACS_TEST_OPENAI_KEY = KEY;
  client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
  graph = await remoteBackend.load({
    source: { kind: 'path', path: server.url },
    encoding: 'autodetect',
    target: 'auto',
    options: { protocol: 'openai', 'api-key-env': 'WACS_TEST_OPENAI_KEY' },
    name: 'm',
  });
});

afterAll(async () => {
  await graph?.dispose();
  await server?.close();
  delete process.env.WACS_TEST_OPENAI_KEY;
});

function request(prompt: string, metadata: Record<string, unknown>): NamedTensor[] {
  return [
    { name: 'prompt', tensor: textTensor(prompt) },
    { name: 'metadata', tensor: jsonTensor(metadata) },
  ];
}

/** The last request, as the comparison sees it. */
function last(): { path: string; method: string; body: unknown; authorization: unknown; contentType: unknown } {
  const r = server.requests.at(-1)!;
  return { path: r.path, method: r.method, body: JSON.parse(r.body.toString()), authorization: r.headers.authorization, contentType: r.headers['content-type'] };
}

async function drain(steps: AsyncIterator<unknown, unknown>): Promise<void> {
  while (!(await steps.next()).done);
}

describe('requests compared with the official openai client', () => {
  const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };

  it('completion: n-predict, temp, top-p, seed, reverse-prompt, json-schema as the client sends them', async () => {
    const context = await graph.createContext();
    await context.compute(request('Hi', { 'n-predict': 5, temp: 0.5, 'top-p': 0.9, seed: 3, 'reverse-prompt': '\n', 'json-schema': schema }));
    const ours = last();
    await client.completions.create({
      model: 'm',
      prompt: 'Hi',
      max_tokens: 5,
      temperature: 0.5,
      top_p: 0.9,
      seed: 3,
      stop: '\n',
      // Not in the completions types; servers (vLLM, llama.cpp) accept it, and the client passes it on.
      ...({ response_format: { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } } } as object),
    });
    expect(ours).toEqual(last());
    expect(ours.authorization).toBe(`Bearer ${KEY}`);
  });

  it('completion: several reverse prompts as the stop list the client sends', async () => {
    const context = await graph.createContext();
    await context.compute(request('Hi', { 'n-predict': 5, 'reverse-prompt': ['\n', ' END'] }));
    const ours = last();
    await client.completions.create({ model: 'm', prompt: 'Hi', max_tokens: 5, stop: ['\n', ' END'] });
    expect(ours).toEqual(last());
  });

  it('streamed completion, with usage in the stream', async () => {
    const context = await graph.createContext();
    await drain(context.stream!(request('Hi', { 'n-predict': 4, temp: 0 })));
    const ours = last();
    const stream = await client.completions.create({ model: 'm', prompt: 'Hi', max_tokens: 4, temperature: 0, stream: true, stream_options: { include_usage: true } });
    for await (const _ of stream);
    expect(ours).toEqual(last());
  });

  it('chat: the conversation so far as messages', async () => {
    const context = await graph.createContext();
    await context.compute(request('Hello', { chat: true, 'n-predict': 8 }));
    await context.compute(request('And then?', {}));
    const ours = last();
    await client.chat.completions.create({
      model: 'm',
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'And then?' },
      ],
      max_tokens: 8,
    });
    expect(ours).toEqual(last());
  });

  it('embeddings', async () => {
    const context = await graph.createContext();
    const outputs = await context.compute(request('Hi', { embedding: true }));
    const ours = last();
    const reply = await client.embeddings.create({ model: 'm', input: 'Hi', encoding_format: 'float' });
    expect(ours).toEqual(last());
    expect(Array.from(new Float32Array(outputs.find((o) => o.name === 'embedding')!.tensor.data.slice().buffer))).toEqual(reply.data[0]!.embedding);
  });

  it('never sends the key to the guest: outputs carry text and token counts only', async () => {
    const context = await graph.createContext();
    const outputs = await context.compute(request('Hi', {}));
    for (const { tensor } of outputs) expect(Buffer.from(tensor.data).toString()).not.toContain(KEY);
  });
});
