// Preview1 guests with a real GGUF model: ../shared stories260K through backend-llama, loaded with
// WasmEdge's --nn-preload. Oracle: the shared README's greedy continuation of "Once upon a time".
// Skips, saying why, without ../shared or without a built backend-llama.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runWacs, sharedModel } from '../../fixtures/dist/index.js';

const model = sharedModel('gguf/stories260K.gguf');
const llamaBackend = join(repoRoot, 'packages/backend-llama');
const llamaBuilt = existsSync(join(llamaBackend, 'dist/index.js'));
if (!llamaBuilt) console.warn('skipping: the preview1 GGUF tests need packages/backend-llama built (npm run build there)');

const KNOWN = ', there was a little girl named Lily';
const PROMPT = 'Once upon a time';

describe.skipIf(!model || !llamaBuilt)('preview1 guests with stories260K (backend-llama)', () => {
  const run = (args: string[]) =>
    runWacs(['run', '--bind', llamaBackend, '--nn-preload', `default:GGML:AUTO:${model}`, ...args]);

  it('streams the greedy continuation through compute_single/get_output_single (WasmEdge-style args)', async () => {
    const r = await run(['--env', 'n_predict=24', '--env', 'temp=0', '--env', 'threads=1', '--env', 'report=1', join(repoRoot, 'guests/preview1/bin/llama-stream.wasm'), 'default', PROMPT]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(KNOWN)).toBe(true);
    // Output 1 is the JSON WasmEdge's llama guests parse (they panic when it is not valid JSON).
    const metadata = JSON.parse(/metadata: (.*)$/m.exec(r.stderr)![1]!) as Record<string, unknown>;
    expect(metadata).toMatchObject({ output_tokens: 24 });
    expect(typeof metadata.input_tokens).toBe('number');
    expect(/^tokens: 24 in /m.test(r.stderr)).toBe(true);
  });

  it('computes the same text in one compute call, options from the metadata at input 1', async () => {
    const config = JSON.stringify({ 'n-predict': 24, temp: 0, threads: 1 });
    const r = await run([join(repoRoot, 'guests/preview1/bin/witx-probe.wasm'), 'generate', 'default', PROMPT, config]);
    expect(r.code).toBe(0);
    const [text, metadata] = [...r.stdout.matchAll(/^output (\d+): (.*)$/gm)].map((m) => m[2]!);
    expect(text!.startsWith(KNOWN)).toBe(true);
    expect(JSON.parse(metadata!)).toMatchObject({ output_tokens: 24 });
    // Streaming and a single compute agree token for token.
    const streamed = await run([join(repoRoot, 'guests/preview1/bin/witx-probe.wasm'), 'stream', 'default', config, '100', PROMPT]);
    expect(streamed.stdout).toContain(`output 0: ${text}\n`);
  });
});
