// `wacs serve` with openai-server on a GGUF model: the model's shared llama context has a sequence per
// --instances, and a client that disconnects mid-stream gives its llama sequence back. With --instances 1 the model's shared llama context has one sequence (wacs serve sizes
// it from --instances), so a sequence the aborted request kept would leave every later request
// waiting until --request-timeout (504): they complete only if it was freed.
import { guest, repoRoot, tinyLlamaGguf, wacsBin } from '@wacs/fixtures';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

interface Serving {
  child: ReturnType<typeof spawn>;
  url: string;
  stderr: () => string;
}
const servers: Serving[] = [];
let path: string;

/** Starts `wacs serve openai-server …` with the tiny model file; resolves once it listens. */
async function serve(args: string[]): Promise<Serving> {
  const child = spawn(process.execPath, [wacsBin, 'serve', guest('openai-server'), '--port', '0', ...args, '--json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`wacs serve exited ${code}: ${stderr}`)));
  });
  const serving = { child, url, stderr: () => stderr };
  servers.push(serving);
  return serving;
}

beforeAll(() => {
  path = join(mkdtempSync(join(tmpdir(), 'wacs-sequences-')), 'tiny.gguf');
  writeFileSync(path, tinyLlamaGguf());
});

afterAll(() => {
  for (const { child } of servers) child.kill('SIGTERM');
});

describe('wacs serve sizes a GGUF model\'s shared llama context from --instances', () => {
  it('one llama context with a sequence per instance (llama.cpp says n_seq_max), unless the model sets parallel', async () => {
    const { url, stderr } = await serve(['--instances', '3', '--model', `tiny=${path},target=cpu,threads=1,enable-log=true`, '--model', `two=${path},target=cpu,threads=1,parallel=2`]);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    expect(stderr()).toMatch(/llama_context: n_seq_max\s+= 3\n/);
    await client.chat.completions.create({ model: 'two', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    // llama.cpp's log level is process-wide and stays raised: the second model's context is logged too.
    expect(stderr()).toMatch(/llama_context: n_seq_max\s+= 2\n/);
    expect(stderr().match(/llama_context: n_seq_max/g)).toHaveLength(2);
  });
});

describe('openai-server: a client that disconnects mid-stream', () => {
  it('stops its generation and frees its sequence: later requests on the one sequence complete', async () => {
    const { url, stderr } = await serve(['--instances', '1', '--request-timeout', '60', '--model', `tiny=${path},target=cpu,threads=1,ctx-size=2048`]);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const request = { model: 'tiny', messages: [{ role: 'user' as const, content: 'Once upon a time' }], temperature: 0 };
    // Until the context is full: about 2000 tokens if nothing stopped it.
    const stream = await client.chat.completions.create({ ...request, stream: true });
    let firstContent: string | undefined;
    for await (const chunk of stream) {
      firstContent = chunk.choices[0]?.delta.content ?? undefined;
      if (firstContent) break; // leaving the loop aborts the request: the connection closes
    }
    expect(firstContent).toBeTruthy();

    const replies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await client.chat.completions.create({ ...request, max_tokens: 4 });
      replies.push(reply.choices[0]!.message.content!);
    }
    // The same greedy reply each time: the sequence came back cleared, whichever request had it.
    expect(replies[0]!.length).toBeGreaterThan(0);
    expect(new Set(replies).size).toBe(1);
    // The access log line follows the response.
    const lines = await vi.waitFor(() => {
      const logged = stderr().split('\n').filter((line) => line.includes('POST /v1/chat/completions'));
      expect(logged).toHaveLength(4);
      return logged;
    });
    expect(lines[0]).toMatch(/ client-closed$/);
    expect(lines.slice(1).every((line) => / 200 .*ms$/.test(line))).toBe(true);
  });
});
