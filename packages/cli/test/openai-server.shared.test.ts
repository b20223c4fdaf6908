// guests/openai-server with a real trained model from ../shared (stories260K), through the openai
// client. Oracle: the shared README's greedy continuation of "Once upon a time". Skipped, saying why,
// when ../shared is absent.
import llamaBackend from '@wacs/backend-llama';
import { BackendRegistry, ModelRegistry, NnHost, startServer, type WacsServer } from '@wacs/core';
import { guest, sharedModel } from '@wacs/fixtures';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const stories = sharedModel('gguf/stories260K.gguf');
/** The shared README's greedy continuation of "Once upon a time". */
const KNOWN = ', there was a little girl named Lily. She loved to play outside in the p';

describe.skipIf(!stories)('openai-server with stories260K', () => {
  let server: WacsServer;
  let client: OpenAI;
  beforeAll(async () => {
    const backends = new BackendRegistry();
    backends.register(llamaBackend);
    const models = new ModelRegistry();
    models.add('stories', { path: stories!, target: 'cpu', options: { threads: 1 } });
    server = await startServer(new Uint8Array(readFileSync(guest('openai-server'))), new NnHost(backends, models, { log: () => {} }), {
      port: 0,
      log: 'off',
      env: { OPENAI_MODELS: 'stories' },
    });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(() => server?.close());

  it('completes "Once upon a time" greedily as the shared README says', async () => {
    const reply = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', temperature: 0, max_tokens: 40 });
    expect(reply.choices[0]!.text.startsWith(KNOWN)).toBe(true);
    expect(reply.usage!.completion_tokens).toBe(40);
    expect(reply.choices[0]!.finish_reason).toBe('length');
  });

  it('chat: streamed deltas concatenate to the non-streamed reply (greedy)', async () => {
    const request = { model: 'stories', messages: [{ role: 'user' as const, content: 'Tell me about Lily.' }], temperature: 0, max_tokens: 24 };
    const whole = await client.chat.completions.create(request);
    expect(whole.choices[0]!.message.content!.length).toBeGreaterThan(0);
    let text = '';
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(whole.choices[0]!.message.content);
  });

  it('embeddings have the model width (64)', async () => {
    const result = await client.embeddings.create({ model: 'stories', input: 'Lily went outside' });
    expect(result.data[0]!.embedding).toHaveLength(64);
  });
});
