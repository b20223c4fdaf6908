// wacs serve's tokens metric (wacs_tokens_generated_total): openai-server on a tiny GGUF model
// (random weights, made in code) and the official openai client; the metric must equal the sum of
// the completion_tokens the API reported, for plain and streamed requests alike.
import llamaBackend from '@wacs/backend-llama';
import { BackendRegistry, ModelRegistry, NnHost, startServer, type WacsServer } from '@wacs/core';
import { guest, tinyLlamaGguf } from '@wacs/fixtures';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serveMetrics, type ServeMetrics } from '../src/serve-metrics.js';

let server: WacsServer;
let metrics: ServeMetrics;

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'wacs-tokens-')), 'tiny.gguf');
  writeFileSync(path, tinyLlamaGguf());
  const backends = new BackendRegistry();
  backends.register(llamaBackend);
  const models = new ModelRegistry();
  models.add('tiny', { path, target: 'cpu', options: { threads: 1, 'ctx-size': 1024 } });
  metrics = serveMetrics();
  const host = new NnHost(backends, models, { log: () => {}, onTokens: metrics.onTokens });
  server = await startServer(new Uint8Array(readFileSync(guest('openai-server'))), host, { port: 0, log: 'off', instances: 2, env: { OPENAI_MODELS: 'tiny' } });
});
afterAll(() => server?.close());

async function tokensMetric(): Promise<number> {
  const text = await metrics.registry.metrics();
  return Number(/^wacs_tokens_generated_total\{model="tiny"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

it('counts the tokens the API reports as completion_tokens, plain and streamed', async () => {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  expect(await tokensMetric()).toBe(0);
  const chat = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hello' }], temperature: 0, max_tokens: 6 });
  const completion = await client.completions.create({ model: 'tiny', prompt: 'Once upon', temperature: 0, max_tokens: 5 });
  const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hi' }], temperature: 0, max_tokens: 7, stream: true, stream_options: { include_usage: true } });
  let streamed = 0;
  for await (const chunk of stream) if (chunk.usage) streamed = chunk.usage.completion_tokens;
  const reported = [chat.usage!.completion_tokens, completion.usage!.completion_tokens, streamed];
  expect(reported.every((n) => n > 0)).toBe(true);
  expect(await tokensMetric()).toBe(reported.reduce((a, b) => a + b, 0));
});
