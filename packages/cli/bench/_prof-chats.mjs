import llamaBackend from '@wacs/backend-llama';
import { BackendRegistry, ModelRegistry, NnHost, startServer } from '@wacs/core';
import { guest, sharedModel } from '@wacs/fixtures';
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
const ggufPath = sharedModel('gguf/stories260K.gguf');
const CHATS = 8;
const maxTokens = Number(process.argv[2] ?? 400);
const prompts = Array.from({ length: CHATS }, (_, i) => `Tell story number ${i + 1} about a cat.`);
const backends = new BackendRegistry();
backends.register(llamaBackend);
const models = new ModelRegistry();
models.add('chat', { path: ggufPath, target: 'cpu', options: { threads: 1, 'ctx-size': 1024 } });
const host = new NnHost(backends, models, { log: () => {}, concurrency: CHATS });
const server = await startServer(new Uint8Array(readFileSync(guest('openai-server'))), host, { port: 0, log: 'off', instances: CHATS, env: { OPENAI_MODELS: 'chat' } });
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
async function batch() {
  const started = performance.now();
  let tokens = 0;
  await Promise.all(prompts.map(async (prompt) => {
    const stream = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) if (chunk.usage) tokens += chunk.usage.completion_tokens;
  }));
  const wall = (performance.now() - started) / 1000;
  return { tps: Math.round(tokens / wall), tokens, wall };
}
for (let i = 0; i < Number(process.argv[3] ?? 3); i++) console.log(JSON.stringify(await batch()));
await server.close();
await host.dispose();
process.exit(0);
