/**
 * Test helpers: the tiny llama written to a temporary file, a host serving it by name, and
 * node-llama-cpp called directly on the same file (the oracle the backend's output must equal).
 */
import { jsonTensor, tensorJson, tensorText, textTensor, type NamedTensor, type Options } from '@wacs/core/backend';
import { BackendRegistry, ModelRegistry, NnHost } from '@wacs/core';
import { tinyLlamaGguf, type TinyLlamaOptions } from '@wacs/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlamaChatSession, LlamaCompletion, type LlamaCompletionGenerationOptions, type LlamaModel } from 'node-llama-cpp';
import { llama, llamaBackend } from '../src/index.js';

export function tempDir(prefix = 'wacs-llama-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a tiny llama GGUF and returns its path. */
export function tinyModelFile(options: TinyLlamaOptions = {}, dir = tempDir()): string {
  const path = join(dir, `tiny-${options.seed ?? 1}.gguf`);
  writeFileSync(path, tinyLlamaGguf(options));
  return path;
}

/** A host with the llama backend bound and `models` registered by name. */
export function hostWith(models: Record<string, { path: string; options?: Options }>): NnHost {
  const backends = new BackendRegistry();
  backends.register(llamaBackend);
  const registry = new ModelRegistry();
  for (const [name, spec] of Object.entries(models)) registry.add(name, { path: spec.path, options: spec.options, target: 'cpu' });
  return new NnHost(backends, registry, { log: () => {} });
}

export function request(prompt: string, metadata?: Record<string, unknown>): NamedTensor[] {
  const inputs: NamedTensor[] = [{ name: 'prompt', tensor: textTensor(prompt) }];
  if (metadata) inputs.push({ name: 'metadata', tensor: jsonTensor(metadata) });
  return inputs;
}

export function outputText(outputs: NamedTensor[], name = '0'): string {
  const found = outputs.find((o) => o.name === name);
  if (!found) throw new Error(`no output ${name}`);
  return tensorText(found.tensor);
}

export function outputMetadata(outputs: NamedTensor[]): Record<string, unknown> {
  return tensorJson(outputs.find((o) => o.name === 'metadata')!.tensor, 'metadata');
}

const models = new Map<string, Promise<LlamaModel>>();

/** The same file loaded by node-llama-cpp directly (once per file). */
export function directModel(path: string): Promise<LlamaModel> {
  let model = models.get(path);
  if (!model) {
    model = llama().then((instance) => instance.loadModel({ modelPath: path, gpuLayers: 0 }));
    models.set(path, model);
  }
  return model;
}

/** node-llama-cpp's completion, on a fresh context with one thread: the text and its token count. */
export async function directCompletion(
  path: string,
  prompt: string,
  options: LlamaCompletionGenerationOptions,
  contextSize = 256,
): Promise<{ text: string; tokens: number }> {
  const context = await (await directModel(path)).createContext({ contextSize, threads: 1, sequences: 1 });
  try {
    let tokens = 0;
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    // The prompt tokenized as llama.cpp (and WasmEdge) does: special tokens parsed, no trimming.
    const input = context.model.tokenize(prompt, true);
    const text = await completion.generateCompletion(input, { ...options, onToken: (t) => (tokens += t.length) });
    return { text, tokens };
  } finally {
    await context.dispose();
  }
}

/** node-llama-cpp's chat session (defaults, one thread): the replies to `prompts` in turn. */
export async function directChat(path: string, prompts: string[], options: Parameters<LlamaChatSession['prompt']>[1], contextSize: number): Promise<string[]> {
  const context = await (await directModel(path)).createContext({ contextSize, threads: 1, sequences: 1 });
  try {
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    const replies: string[] = [];
    for (const prompt of prompts) replies.push(await session.prompt(prompt, options));
    return replies;
  } finally {
    await context.dispose();
  }
}
