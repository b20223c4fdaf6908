// The same text guests (llm-chat, a component; llama-stream, a preview1 module streaming with
// compute_single) through the real `wacs run`, once with the tiny GGUF bound locally (backend-llama)
// and once with it behind an OpenAI-compatible server in this process (node-llama-cpp called
// directly) reached through backend-remote. Greedy decoding: the text must be identical.
import { guest, repoRoot, runWacs, tinyLlamaGguf } from '@wacs/fixtures';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaDir, remoteDir, tempFile } from './helpers.js';
import { startOpenAiServer } from './servers/openai-server.js';
import { sendJson, startServer, type TestServer } from './servers/http-server.js';

const PROMPT = 'Once upon a time';
const GREEDY = ['--set', 'temp=0', '--set', 'repeat-penalty=1'];
const llamaStream = join(repoRoot, 'guests/preview1/bin/llama-stream.wasm');

let server: TestServer;
let path: string;

beforeAll(async () => {
  path = tempFile('tiny.gguf', tinyLlamaGguf());
  server = await startOpenAiServer(path, 'tiny');
});

afterAll(() => server?.close());

const bindLocal = () => ['--bind', llamaDir, '--model', `tiny=${path},threads=1`];
const bindRemote = (spec = '') => ['--bind', remoteDir, '--model', `tiny=${server.url},backend=remote,protocol=openai${spec}`];
const chat = (bind: string[], args: string[]) => runWacs(['run', guest('llm-chat'), ...bind, '--', '--model', 'tiny', ...args]);

describe('backend-remote protocol=openai against an OpenAI-compatible server', () => {
  it('gives llm-chat the same completion as the local model, streamed (stream-stdout) and whole, with the same token counts', async () => {
    const args = ['--raw', ...GREEDY, '--set', 'n-predict=20', PROMPT];
    const here = await chat(bindLocal(), args);
    expect(here.code).toBe(0);
    expect(here.stdout.length).toBeGreaterThan(2);
    const there = await chat(bindRemote(), args);
    expect(there).toMatchObject({ code: 0, stdout: here.stdout });
    expect(JSON.parse(server.requests.at(-1)!.body.toString())).toMatchObject({ model: 'tiny', prompt: PROMPT, max_tokens: 20, temperature: 0, repeat_penalty: 1, stream: true });

    const statsArgs = ['--raw', '--no-stream', '--stats', ...GREEDY, '--set', 'n-predict=20', PROMPT];
    const [localStats, remoteStats] = [await chat(bindLocal(), statsArgs), await chat(bindRemote(), statsArgs)];
    const counts = (out: string) => /input_tokens=(\d+) output_tokens=(\d+)/.exec(out)?.slice(1);
    expect(localStats.code).toBe(0);
    expect(remoteStats).toMatchObject({ code: 0 });
    expect(remoteStats.stdout.split('\n')[0]).toBe(localStats.stdout.split('\n')[0]);
    expect(counts(remoteStats.stdout)).toEqual(counts(localStats.stdout));
    expect(counts(localStats.stdout)).toEqual(['5', '20']);
    expect(JSON.parse(server.requests.at(-1)!.body.toString()).stream).toBeUndefined();
  });

  it('chats through /v1/chat/completions with the same reply as the local chat session', async () => {
    const args = [...GREEDY, '--set', 'n-predict=10', '--set', 'ctx-size=1024', 'Hello there'];
    const here = await chat(bindLocal(), args);
    expect(here.code).toBe(0);
    const there = await chat(bindRemote(), args);
    expect(there).toMatchObject({ code: 0, stdout: here.stdout });
    const sent = JSON.parse(server.requests.at(-1)!.body.toString());
    expect(server.requests.at(-1)!.path).toBe('/v1/chat/completions');
    expect(sent.messages).toEqual([{ role: 'user', content: 'Hello there' }]);
  });

  it('streams to a preview1 guest (compute_single) the same tokens as the local model', async () => {
    const env = ['--env', 'temp=0', '--env', 'repeat_penalty=1', '--env', 'n_predict=12'];
    const here = await runWacs(['run', ...bindLocal(), ...env, llamaStream, 'tiny', PROMPT]);
    expect(here.code).toBe(0);
    const there = await runWacs(['run', ...bindRemote(), ...env, llamaStream, 'tiny', PROMPT]);
    expect(there).toMatchObject({ code: 0, stdout: here.stdout });
  });

  it('gives a preview1 guest the same embedding (/v1/embeddings) as the local model', async () => {
    const witxProbe = join(repoRoot, 'guests/preview1/bin/witx-probe.wasm');
    const args = [witxProbe, 'generate', 'tiny', PROMPT, '{"embedding":true}'];
    const here = await runWacs(['run', ...bindLocal(), ...args]);
    expect(here.code).toBe(0);
    expect(here.stdout).toContain('n_embedding');
    const there = await runWacs(['run', ...bindRemote(), ...args]);
    // Output 0 (the vector as JSON) is the same; output 1 (metadata) has the llama build fields only locally.
    const vector = (out: string) => JSON.parse(/\{"n_embedding".*?\]\}/.exec(out)![0]) as { n_embedding: number; embedding: number[] };
    expect(there.code).toBe(0);
    expect(vector(there.stdout)).toEqual(vector(here.stdout));
    expect(server.requests.at(-1)!.path).toBe('/v1/embeddings');
  });

  it('reports a model the server does not have as not-found at load, naming the ones it has', async () => {
    const r = await chat(bindRemote(',remote-model=huge'), ['--raw', PROMPT]);
    expect(r.code).not.toBe(0);
    // llm-chat prints errors with its answers, on stdout.
    expect(r.stdout).toMatch(/wasi-nn error not-found: the server at http:\/\/127.0.0.1:\d+ has no model "huge"; it has tiny/);
  });
});

describe('a stalled server, through wacs run', () => {
  it('ends the guest\'s streamed compute with a timeout error, not a hang', async () => {
    const stalled = await startServer((request, res) => {
      if (request.path === '/v1/models') return sendJson(res, 200, { data: [{ id: 'tiny' }] });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ text: 'Once', finish_reason: null }] })}\n\n`);
    });
    try {
      const r = await runWacs(
        ['run', guest('llm-chat'), '--bind', remoteDir, '--model', `tiny=${stalled.url},backend=remote,protocol=openai,request-timeout-ms=1000`, '--', '--model', 'tiny', '--raw', PROMPT],
        { timeoutMs: 60_000 },
      );
      expect(r.code).toBe(1);
      // The token that came is printed, then the error.
      expect(r.stdout).toMatch(/^Once\n?error: wasi-nn error timeout: completion with "tiny" at http:\/\/127\.0\.0\.1:\d+\/v1\/completions: the stream stalled: nothing for 1000 ms/);
    } finally {
      await stalled.close();
    }
  });
});
