// guests/hybrid-chat: the local tier (backend-llama, a tiny GGUF with a 64-token context) answers
// what fits; the remote tier (backend-remote to an OpenAI-compatible server on the same model)
// takes a prompt too long for the local context, and a local answer that fails the JSON schema.
// Oracles: llm-chat asking each tier directly with the same options.
import { guest, runWacs, tinyLlamaGguf } from '@wacs/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaDir, remoteDir, tempFile } from './helpers.js';
import { startOpenAiServer } from './servers/openai-server.js';
import type { TestServer } from './servers/http-server.js';

const SHORT = 'Once upon a time';
const LONG = Array.from({ length: 20 }, () => SHORT).join(' ');
const GREEDY = ['--set', 'temp=0', '--set', 'repeat-penalty=1'];

let server: TestServer;
let path: string;

beforeAll(async () => {
  path = tempFile('tiny.gguf', tinyLlamaGguf());
  server = await startOpenAiServer(path, 'tiny');
});
afterAll(() => server?.close());

const models = () => ['--model', `small=${path},threads=1,ctx-size=64`, '--model', `big=${server.url},backend=remote,protocol=openai,remote-model=tiny`];
const hybrid = (args: string[]) => runWacs(['run', guest('hybrid-chat'), '--bind', llamaDir, '--bind', remoteDir, ...models(), '--', ...args]);
/** What one tier answers when asked directly (llm-chat, raw completion, whole). */
async function direct(model: 'small' | 'big', args: string[]): Promise<string> {
  const r = await runWacs(['run', guest('llm-chat'), '--bind', llamaDir, '--bind', remoteDir, ...models(), '--', '--model', model, '--raw', '--no-stream', ...args]);
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('hybrid-chat guest', () => {
  it('answers locally what fits the local context', async () => {
    const args = [...GREEDY, '--set', 'n-predict=8'];
    const r = await hybrid([...args, SHORT]);
    expect(r).toMatchObject({ code: 0, stdout: `${await direct('small', [...args, SHORT])}tier: local\n` });
    expect(server.requests.filter((q) => q.method === 'POST')).toHaveLength(0);
  });

  it('hands a prompt too long for the local context to the remote model', async () => {
    const args = [...GREEDY, '--set', 'n-predict=8'];
    const r = await hybrid([...args, LONG]);
    expect(r).toMatchObject({ code: 0, stdout: `${await direct('big', [...args, LONG])}tier: remote (the prompt does not fit the local context)\n` });
  });

  it('hands a local answer that fails the JSON schema to the remote model', async () => {
    const schema = JSON.stringify({ type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false });
    // Three tokens cannot hold a whole JSON object: the local answer is cut, so it fails the schema.
    const r = await hybrid([...GREEDY, '--schema', schema, '--local-set', 'n-predict=3', '--remote-set', 'n-predict=64', SHORT]);
    expect(r.code).toBe(0);
    const [answer, tier] = r.stdout.trimEnd().split('\n');
    expect(JSON.parse(answer!)).toEqual({ ok: expect.any(Boolean) });
    expect(tier).toMatch(/^tier: remote \(the local answer fails the schema: not JSON/);
    expect(JSON.parse(server.requests.at(-1)!.body.toString()).response_format.json_schema.schema).toEqual(JSON.parse(schema));
  });
});
