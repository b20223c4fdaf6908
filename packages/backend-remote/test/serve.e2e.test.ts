// Against a real server in another process: `wacs serve` running the openai-server and oip-server
// guests (issue #17) with the model bound there, reached through backend-remote; the same guest
// must give the same outputs as with the model bound locally. Skipped, with the reason, on a build
// without `wacs serve` or those guests.
import { guest, linearModel, repoRoot, runWacs, tinyLlamaGguf, wacsBin } from '@wacs/fixtures';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaDir, onnxDir, remoteDir, tempFile } from './helpers.js';

const guests = ['openai-server', 'oip-server'].map((name) => join(repoRoot, 'guests/dist', `${name}.wasm`));
const missing = guests.filter((path) => !existsSync(path));
if (missing.length) console.warn(`skipping: wacs serve's guests are not built here (${missing.map((p) => p.split('/').at(-1)).join(', ')}; issue #17)`);

const children: ChildProcess[] = [];

/** `wacs serve` on a free loopback port; resolves with its URL once it listens. */
async function serve(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [wacsBin, 'serve', ...args, '--port', '0', '--json', '--log', 'off'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`wacs serve exited (${code}): ${stderr}`)));
  });
  return (JSON.parse(line) as { url: string }).url;
}

afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

describe.skipIf(missing.length > 0)('backend-remote against wacs serve', () => {
  let openaiUrl: string;
  let oipUrl: string;
  let gguf: string;
  let onnx: string;

  beforeAll(async () => {
    gguf = tempFile('tiny.gguf', tinyLlamaGguf());
    onnx = tempFile('lin.onnx', linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
    [openaiUrl, oipUrl] = await Promise.all([
      serve([guests[0]!, '--bind', llamaDir, '--model', `tiny=${gguf},threads=1`, '--env', 'OPENAI_MODELS=tiny', '--instances', '1']),
      serve([guests[1]!, '--bind', onnxDir, '--model', `lin=${onnx}`, '--instances', '1']),
    ]);
  });

  it('llm-chat: the same greedy completion, streamed, as the local model', async () => {
    // openai-server applies OpenAI's sampling (no repeat penalty), so the local run sets none either.
    const args = ['--', '--model', 'tiny', '--raw', '--set', 'temp=0', '--set', 'repeat-penalty=1', '--set', 'n-predict=16', 'Once upon a time'];
    const here = await runWacs(['run', guest('llm-chat'), '--bind', llamaDir, '--model', `tiny=${gguf},threads=1`, ...args]);
    expect(here.code).toBe(0);
    const there = await runWacs(['run', guest('llm-chat'), '--bind', remoteDir, '--model', `tiny=${openaiUrl},backend=remote,protocol=openai`, ...args]);
    expect(there).toMatchObject({ code: 0, stdout: here.stdout });
  });

  it('nn-compute: the same outputs as the local model, through oip-server', async () => {
    const args = ['--', 'lin', 'x=FP32:2x3:1,2,3,4,5,6'];
    const here = await runWacs(['run', guest('nn-compute'), '--bind', onnxDir, '--model', `lin=${onnx}`, ...args]);
    expect(here).toMatchObject({ code: 0, stdout: 'y FP32 [2,2] 22.5 27 49.5 63\ncompute ok\n' });
    const there = await runWacs(['run', guest('nn-compute'), '--bind', remoteDir, '--model', `lin=${oipUrl},backend=remote,protocol=oip`, ...args]);
    expect(there).toMatchObject({ code: 0, stdout: here.stdout });
  });
});
