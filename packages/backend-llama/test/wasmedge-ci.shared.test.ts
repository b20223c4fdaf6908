// The jobs of WasmEdge-WASINN-examples' CI (.github/workflows/llama.yml) with their own command
// lines, `wasmedge` replaced by `wacs run`, the guests by their reproductions in guests/wasmedge,
// and every multi-GB model by stories260K (real weights, from ../shared) under the CI's file names.
// The workflow passes a job when its command exits 0; each job here also checks what the guest
// printed. stories260K ends its stories with BOS rather than EOS, so the copy used here has
// tokenizer.ggml.eos_token_id set to "." (each answer ends at its first sentence, as a chat
// model's ends at its end of turn). Jobs left out: llava, qwen2vl (multimodal), nnrpc (a remote
// server), tts (a vocoder): see docs/wasmedge-compat.md.
import { repoRoot, runWacs, sharedModel } from '@wacs/fixtures';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { directModel, tempDir } from './helpers.js';

const stories = sharedModel('gguf/stories260K.gguf');
const backendDir = join(repoRoot, 'packages/backend-llama');
const guest = (name: string) => join(repoRoot, 'guests/wasmedge/bin', `${name}.wasm`);
let dir: string;

const CI_MODELS = [
  'tinyllama-1.1b-chat-v0.3.Q5_K_M.gguf',
  'gemma-2b-it-Q5_K_M.gguf',
  'Meta-Llama-3-8B-Instruct.Q5_K_M.gguf',
  'llama-2-7b-chat.Q5_K_M.gguf',
  'vicuna-7b-q5_k.gguf',
  'all-MiniLM-L6-v2-ggml-model-f16.gguf',
  'llama-2-7b.Q5_K_M.gguf',
];

/** A copy of a GGUF file with one uint32 metadata value replaced. */
function withUint32(bytes: Uint8Array, key: string, value: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const at = Buffer.from(copy.buffer).indexOf(Buffer.from(key)) + key.length;
  const view = new DataView(copy.buffer);
  if (at < key.length || view.getUint32(at, true) !== 4 /* GGUF uint32 */) throw new Error(`no uint32 ${key} in the model`);
  view.setUint32(at + 4, value, true);
  return copy;
}

beforeAll(async () => {
  if (!stories) return;
  dir = tempDir('wacs-wasmedge-ci-');
  const model = await directModel(stories);
  const period = model.tokenize('Lily.', false).at(-1)!;
  const stopping = join(dir, 'stories-stop.gguf');
  writeFileSync(stopping, withUint32(readFileSync(stories), 'tokenizer.ggml.eos_token_id', period));
  for (const name of CI_MODELS) copyFileSync(stopping, join(dir, name));
});

const LLAMA2_PROMPT =
  "[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being safe.  Your answers should not include any harmful, unethical, racist, sexist, toxic, dangerous, or illegal content. Please ensure that your responses are socially unbiased and positive in nature. If a question does not make any sense, or is not factually coherent, explain why instead of answering something not correct. If you do not know the answer to a question, please do not share false information.\n<</SYS>>\nWhat is the capital of Japan?[/INST]";
const LLAMA3_PROMPT =
  "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful, respectful and honest assistant.<|eot_id|>\n<|start_header_id|>user<|end_header_id|>\n\nWhat's the capital of Japan?<|eot_id|>\n<|start_header_id|>assistant<|end_header_id|>\n\n";

interface Job {
  name: string;
  /** The CI command line after `wasmedge`, the guest path replaced. */
  args: string[];
  check(stdout: string): void;
}

const NGL = ['--env', 'n_gpu_layers=0'];

const JOBS: Job[] = [
  {
    name: 'Tiny Llama',
    args: ['--dir', '.:.', ...NGL, '--nn-preload', 'default:GGML:AUTO:tinyllama-1.1b-chat-v0.3.Q5_K_M.gguf', guest('wasmedge-ggml-llama'), 'default', "<|im_start|>system\nYou are an AI assistant<|im_end|>\n<|im_start|>user\nWhere is the capital of Japan?<|im_end|>\n<|im_start|>assistant"],
    // The answer may be empty (sampling with WasmEdge's random seed can pick ".", this model's EOS
    // here, first) or run over several lines (it can pick a newline before it).
    check: (out) => expect(out).toMatch(/^Prompt:\n[^]*\nResponse:\n[^]*\n$/),
  },
  {
    name: 'Gemma 2B',
    args: ['--dir', '.:.', ...NGL, '--nn-preload', 'default:GGML:AUTO:gemma-2b-it-Q5_K_M.gguf', guest('wasmedge-ggml-gemma'), 'default', '<start_of_turn>user Where is the capital of Japan? <end_of_turn><start_of_turn>model'],
    check: (out) => {
      // Output 1 before compute and after it count the same prompt; the answer's tokens are counted.
      const counts = [...out.matchAll(/Number of input tokens: (\d+)/g)].map((m) => Number(m[1]));
      expect(counts).toHaveLength(2);
      expect(counts[0]).toBeGreaterThan(1);
      expect(counts[1]).toBe(counts[0]);
      // The guest samples with WasmEdge's random seed, which can pick the end of text (".") first:
      // then the answer is empty and counts no tokens. The guest trims the answer, so tokens of
      // whitespace alone also print as an empty answer: only a printed answer implies counted tokens.
      const answer = /Number of input tokens: \d+\n([^]*?)\[INFO\]/.exec(out)?.[1];
      const outputTokens = Number(/Number of output tokens: (\d+)/.exec(out)?.[1]);
      expect(answer, out).toBeDefined();
      expect(outputTokens >= 0, out).toBe(true);
      if (answer!.trim() !== '') expect(outputTokens, out).toBeGreaterThan(0);
    },
  },
  {
    name: 'Llama3 8B',
    args: ['--dir', '.:.', ...NGL, '--env', 'llama3=true', '--nn-preload', 'default:GGML:AUTO:Meta-Llama-3-8B-Instruct.Q5_K_M.gguf', guest('wasmedge-ggml-llama'), 'default', LLAMA3_PROMPT],
    check: (out) => expect(out).toMatch(/\nResponse:\n[^]*\n$/), // may be empty or several lines, as above
  },
  {
    name: 'Llama3 8B (Streaming)',
    args: ['--dir', '.:.', ...NGL, '--env', 'llama3=true', '--nn-preload', 'default:GGML:AUTO:Meta-Llama-3-8B-Instruct.Q5_K_M.gguf', guest('wasmedge-ggml-llama-stream'), 'default', LLAMA3_PROMPT],
    check: (out) => {
      expect(out).toMatch(/\[INFO\] llama_build_number: \d+\n/);
      // What streamed between the input metadata and the output metadata; sampling can end it at once.
      const streamed = /Number of input tokens: \d+\n([^]*)\n\[INFO\] Number of input tokens/.exec(out)?.[1];
      const output = Number(/Number of output tokens: (\d+)/.exec(out)?.[1]);
      expect(streamed, out).toBeDefined();
      expect(output >= 0, out).toBe(true);
      if (streamed !== '') expect(output, out).toBeGreaterThan(0);
      expect(out).not.toContain('Context full');
    },
  },
  {
    name: 'Multiple Models Example',
    args: ['--dir', '.:.', ...NGL, '--env', 'image=monalisa.jpg', '--env', 'mmproj=mmproj-vicuna7b-f16.gguf', '--nn-preload', 'llama2:GGML:AUTO:llama-2-7b-chat.Q5_K_M.gguf', '--nn-preload', 'llava:GGML:AUTO:vicuna-7b-q5_k.gguf', guest('wasmedge-ggml-multimodel'), 'describe this picture please'],
    check: (out) => {
      // Either answer may be empty: stories260K can end it (".", its EOS here) at once. Sampling is
      // not seeded, so an answer may also run over several lines.
      expect(out).toMatch(/ASSISTANT \(llava\):\n[\s\S]*ASSISTANT \(llama2\):\n[\s\S]*\n$/);
      expect(out).not.toContain('[ERROR]');
    },
  },
  {
    name: 'Embedding Example (All-MiniLM)',
    args: ['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:all-MiniLM-L6-v2-ggml-model-f16.gguf', guest('wasmedge-ggml-llama-embedding'), 'default', 'hello world'],
    check: (out) => {
      expect(out).toContain('N_Embd: 64\n'); // stories260K's n_embd
      expect(out.match(/^embd\[\d\] = -?\d/gm)).toHaveLength(5);
    },
  },
  {
    name: 'Embedding Example (Llama-2)',
    args: ['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:llama-2-7b-chat.Q5_K_M.gguf', guest('wasmedge-ggml-llama-embedding'), 'default', 'hello world'],
    check: (out) => expect(out).toContain('N_Embd: 64\n'),
  },
  {
    name: 'Set Input Twice',
    args: ['--dir', '.:.', ...NGL, '--nn-preload', 'default:GGML:AUTO:gemma-2b-it-Q5_K_M.gguf', guest('wasmedge-ggml-set-input-twice'), 'default', '<start_of_turn>user Where is the capital of Japan? <end_of_turn><start_of_turn>model'],
    check: (out) => {
      const counts = [...out.matchAll(/Number of input tokens: (\d+)/g)].map((m) => m[1]);
      expect(counts).toHaveLength(2);
      expect(counts[0]).toBe(counts[1]);
    },
  },
  {
    // A grammar on a 260K-parameter model may never close its JSON: n_predict (which the example reads) bounds it.
    name: 'Grammar Example',
    args: ['--dir', '.:.', ...NGL, '--env', 'n_predict=48', '--nn-preload', 'default:GGML:AUTO:llama-2-7b.Q5_K_M.gguf', guest('wasmedge-ggml-grammar'), 'default', 'JSON object with 5 country names as keys and their capitals as values: '],
    // The grammar holds: the output opens a JSON object with a lower-case key.
    check: (out) => expect(out).toMatch(/\nResponse:\n[^]*\n\{ ?"[a-z ]/),
  },
  {
    name: 'Model Not Found',
    args: ['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:model-not-found.gguf', guest('wasmedge-ggml-model-not-found'), 'default'],
    check: (out) => expect(out).toBe('Model not found\n'),
  },
  {
    name: 'Unload',
    args: ['--dir', '.:.', '--nn-preload', 'default:GGML:AUTO:llama-2-7b-chat.Q5_K_M.gguf', guest('wasmedge-ggml-unload'), 'default', LLAMA2_PROMPT],
    check: (out) => {
      expect(out.match(/^----- Test \d -----$/gm)).toHaveLength(5);
      expect(out.match(/^Graph \d+ loaded\.$/gm)).toHaveLength(5);
    },
  },
  {
    name: 'JSON Schema',
    args: ['--dir', '.:.', ...NGL, '--env', 'n_predict=48', '--nn-preload', 'default:GGML:AUTO:llama-2-7b-chat.Q5_K_M.gguf', guest('wasmedge-ggml-json-schema'), 'default', "[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant. Always output JSON format string.\n<</SYS>>\nGive me a JSON array of Apple products.[/INST]"],
    check: (out) => expect(out).toMatch(/\[INFO\] Number of input tokens: \d+\n\[\s*\{/),
  },
];

describe.skipIf(!stories)('WasmEdge-WASINN-examples CI jobs (llama.yml) under wacs run, stories260K in place of the models', () => {
  for (const job of JOBS) {
    it(job.name, async () => {
      const r = await runWacs(['run', '--bind', backendDir, ...job.args], { cwd: dir, timeoutMs: 300_000 });
      expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
      job.check(r.stdout);
    }, 300_000);
  }
});
