// WasmEdge's GGML behaviours as guests see them, end to end: the real `wacs run`, this backend,
// the tiny random llama from @wacs/fixtures, and the Rust guests in guests/wasmedge that make the
// calls the wasmedge-ggml examples and LlamaEdge's apps make. Each expectation is what WasmEdge's
// plugin answers (its source: plugins/wasi_nn/GGML/*); token counts come from node-llama-cpp
// called directly on the same file.
import { repoRoot, runWacs } from '@wacs/fixtures';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { directModel, tempDir, tinyModelFile } from './helpers.js';

const backendDir = join(repoRoot, 'packages/backend-llama');
const bin = (name: string) => join(repoRoot, 'guests/wasmedge/bin', `${name}.wasm`);
const PROMPT = 'the cat sat on the';
let dir: string;

beforeAll(() => {
  dir = tempDir('wacs-wasmedge-');
  // A training context of 512, so the examples' ctx-size 512 and 1024 are within reach.
  tinyModelFile({ contextLength: 512 }, dir);
});

/** `wacs run` as the WasmEdge CI calls `wasmedge`, in the folder that holds the model (tiny-1.gguf). */
function wacs(args: string[], stdin?: string) {
  return runWacs(['run', '--bind', backendDir, ...args], { cwd: dir, stdin });
}

/** Prompt tokens with BOS, counted by node-llama-cpp directly. */
async function promptTokens(prompt: string): Promise<number> {
  const model = await directModel(join(dir, 'tiny-1.gguf'));
  // As WasmEdge tokenizes a prompt: llama.cpp's tokenizer, special tokens parsed, and BOS.
  return model.tokenize(prompt, true).length + 1;
}

describe('wasmedge-ggml behaviours (guests/wasmedge/bin/ggml-checks)', () => {
  it('answers each call as WasmEdge does', async () => {
    const r = await wacs(['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:tiny-1.gguf', bin('ggml-checks'), 'default', PROMPT]);
    expect(r.code).toBe(0);
    const n = await promptTokens(PROMPT);
    const lines = r.stdout.trim().split('\n');
    const metadataBytes = /metadata is (\d+)\)/.exec(lines[6]!)?.[1];
    expect(lines).toEqual([
      // Unknown config keys are skipped; a known key with a wrong type is invalid_argument; JSON that does not parse is invalid_encoding.
      'config with unknown keys: success',
      'config ctx-size as text: invalid_argument',
      'config not JSON: invalid_encoding',
      // An unregistered name is not_found (8): model_not_found (103) is a registered file that is missing.
      'unregistered name: not_found',
      // Output 1 right after set_input counts the prompt's tokens.
      `metadata before compute: input_tokens ${n} output_tokens 0`,
      'metadata keys: true',
      // A buffer too small: too_large, with the size needed written through the out-pointer.
      `metadata into 4 bytes: too_large (needs ${metadataBytes}, metadata is ${metadataBytes})`,
      // Load-time keys (n-gpu-layers, ctx-size, batch-size, threads, embedding) and LlamaEdge's own keys in metadata.
      'metadata with load-time keys: success',
      'after compute: output_tokens 3',
      'metadata temp as text: invalid_argument',
      'metadata not JSON: invalid_encoding',
      'generate until the context is full: context_full',
      expect.stringMatching(new RegExp(`^partial output: [1-9]\\d* bytes; input_tokens ${n} \\+ output_tokens ${32 - n} = ctx-size 32$`)),
      'prompt longer than the context: prompt_too_long',
      `set_input twice: input_tokens ${n} ${n}; greedy output repeats: true`,
      'unload: success',
      'get_output after unload: success',
      'finalize_execution_context: success',
      'load again after unload: success',
      'compute on the reloaded graph: success',
    ]);
    // The errors a guest gets are explained to the person running it.
    expect(r.stderr).toContain('the context is full');
    expect(r.stderr).not.toContain('llama3'); // ignored keys are only noted under enable-log
  });

  it('notes the keys it ignored on stderr under enable-log', async () => {
    const r = await wacs(['--nn-preload', 'default:GGML:AUTO:tiny-1.gguf', '--env', 'enable_log=true', '--env', 'n_predict=2', bin('wasmedge-ggml-llama'), 'default', PROMPT]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/ignored unknown option\(s\) .*"llama3"/);
  });
});

describe('the wasmedge-ggml CI jobs that need no natural end of text', () => {
  it('model-not-found: a preloaded file that is missing starts the guest, and load_by_name answers model_not_found', async () => {
    const r = await wacs(['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:model-not-found.gguf', bin('wasmedge-ggml-model-not-found'), 'default']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Model not found\n');
  });

  it('set-input-twice: the same input token count both times, before any compute', async () => {
    const prompt = '<start_of_turn>user Where is the capital of Japan? <end_of_turn><start_of_turn>model';
    const r = await wacs(['--dir', '.:.', '--env', 'n_gpu_layers=0', '--nn-preload', 'default:GGML:AUTO:tiny-1.gguf', bin('wasmedge-ggml-set-input-twice'), 'default', prompt]);
    expect(r.code).toBe(0);
    const n = await promptTokens(prompt);
    expect(r.stdout.match(/Number of input tokens: (\d+)/g)).toEqual([`Number of input tokens: ${n}`, `Number of input tokens: ${n}`]);
    expect(r.stdout).toMatch(/llama_build_number: \d+\n/);
  });

  it('unload: five loads of the same name, each computed (a full context reported, its text printed) and unloaded', async () => {
    const r = await wacs(['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:tiny-1.gguf', bin('wasmedge-ggml-unload'), 'default', PROMPT]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^----- Test \d -----$/gm)).toHaveLength(5);
    // The random model never ends its text: each compute fills the context, and the guest prints what it generated.
    const outputs = r.stdout.split('[INFO] Context full, we\'ll reset the context and continue.\n').slice(1).map((part) => part.split('\n')[0]!);
    expect(outputs).toHaveLength(5);
    for (const output of outputs) expect(output.length).toBeGreaterThan(0);
  });
});

describe('LlamaEdge-style apps (metadata at set_input(ctx, 1) with load-time keys, compute_single to end_of_sequence)', () => {
  it('llama-simple streams one completion of n-predict tokens', async () => {
    // Options after the module are the app's, as with wasmedge (none of them is wacs's).
    const r = await wacs(['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:tiny-1.gguf', bin('llama-simple'), '--prompt', PROMPT, '--n-predict', '6', '--ctx-size', '128']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[prompt\] the cat sat on the\n\[answer\] .+\n$/);
    expect(r.stderr).toContain(`[usage] prompt_tokens: ${await promptTokens(PROMPT)}, completion_tokens: 6`);
  });

  it('llama-chat answers each line of stdin and exits cleanly at its end', async () => {
    const r = await wacs(['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:tiny-1.gguf', bin('llama-chat'), '-n', '5', '-c', '256'], 'hello\nthe dog\n');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/\[Bot\]: /g)).toHaveLength(2);
    expect(r.stdout.trimEnd().endsWith('[You]:')).toBe(true);
    expect(r.stderr.match(/completion_tokens: 5/g)).toHaveLength(2);
  });
});

describe('--dir as WasmEdge spells it', () => {
  const probe = bin('dir-probe');

  it('.:. preopens the current folder; guest:host maps a guest path to a host folder', async () => {
    const written = await wacs(['--dir', '.:.', probe, 'write', 'note.txt', 'hello']);
    expect(written.stdout).toBe('ok\n');
    expect(readFileSync(join(dir, 'note.txt'), 'utf8')).toBe('hello');
    const read = await runWacs(['run', '--dir', `/data:${dir}`, probe, 'read', '/data/note.txt']);
    expect(read.stdout).toBe('hellook\n');
    const plain = await runWacs(['run', '--dir', dir, probe, 'read', join(dir, 'note.txt')]);
    expect(plain.stdout).toBe('hellook\n');
    const wacsForm = await runWacs(['run', '--dir', `${dir}::/d`, probe, 'read', '/d/note.txt']);
    expect(wacsForm.stdout).toBe('hellook\n');
  });

  it(':readonly lets the guest read and refuses every write', async () => {
    const args = ['--dir', '.:.:readonly', probe];
    expect((await wacs([...args, 'read', 'note.txt'])).stdout).toBe('hellook\n');
    expect((await wacs([...args, 'write', 'note.txt', 'changed'])).stdout).toMatch(/^error: .*(read-only|Read-only)/);
    expect((await wacs([...args, 'write', 'new.txt', 'x'])).stdout).toMatch(/^error: /);
    expect((await wacs([...args, 'mkdir', 'sub'])).stdout).toMatch(/^error: /);
    expect(readFileSync(join(dir, 'note.txt'), 'utf8')).toBe('hello');
  });

  it('a host folder that does not exist is a plain error and exit 125', async () => {
    const r = await wacs(['--dir', '.:./no-such-folder', probe, 'read', 'x']);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe('wacs: --dir: no such directory: ./no-such-folder\n');
  });
});
