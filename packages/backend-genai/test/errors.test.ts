// Every way a model folder or a request can be wrong gives a wasi:nn error that says what to fix,
// and the host goes on serving other models afterwards.
import { NnError, textTensor } from '@wacs/core/backend';
import { probePath } from '@wacs/core/backend/node';
import { BackendRegistry, ModelRegistry, NnHost } from '@wacs/core';
import { tinyGenaiConfig, writeTinyGenaiFolder } from '@wacs/fixtures';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genaiBackend, parseGenaiConfig, type GenaiGraph } from '../src/index.js';
import { generateIds, idsInput, loadFolder, metadata, prompt, tempDir } from './helpers.js';

/** A tiny folder whose genai_config.json has been changed by `edit`. */
async function folderWith(edit: (config: any) => void): Promise<string> {
  const folder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'));
  const config = JSON.parse(await readFile(join(folder, 'genai_config.json'), 'utf8'));
  edit(config);
  await writeFile(join(folder, 'genai_config.json'), JSON.stringify(config));
  return folder;
}

async function loadError(folder: string, options: Record<string, number> = {}): Promise<NnError> {
  const error = await loadFolder(folder, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NnError);
  return error as NnError;
}

describe('genai_config.json errors', () => {
  it('names a missing field', async () => {
    const e = await loadError(await folderWith((c) => delete c.model.decoder.filename));
    expect(e.code).toBe('invalid-argument');
    expect(e.message).toContain('model.decoder.filename is missing');
    expect((await loadError(await folderWith((c) => delete c.model.context_length))).message).toContain('model.context_length is missing');
  });

  it('names a field of the wrong type', async () => {
    const e = await loadError(await folderWith((c) => (c.model.vocab_size = 'many')));
    expect(e.message).toContain('model.vocab_size must be a number');
    const t = await loadError(await folderWith((c) => (c.model.decoder.inputs.past_key_names = 'past.key')));
    expect(t.message).toContain('model.decoder.inputs.past_key_names must contain %d');
  });

  it('rejects malformed JSON and a folder without genai_config.json', async () => {
    expect(() => parseGenaiConfig('{"model": ')).toThrow(/genai_config.json is not valid JSON/);
    const folder = await writeTinyGenaiFolder(join(await tempDir(), 'tiny'));
    await rm(join(folder, 'genai_config.json'));
    const e = await loadError(folder);
    expect(e.code).toBe('not-found');
    expect(await genaiBackend.detect!(await probePath(folder))).toBe(false);
  });

  it('lists the supported model types for an unsupported one', async () => {
    const e = await loadError(await folderWith((c) => (c.model.type = 'whisper')));
    expect(e.code).toBe('unsupported-operation');
    expect(e.message).toMatch(/"whisper" is not supported.*gpt2.*llama.*phi3.*qwen2/);
  });

  it('reports a missing decoder file by the name the config gives', async () => {
    const e = await loadError(await folderWith((c) => (c.model.decoder.filename = 'decoder_model_merged.onnx')));
    expect(e.code).toBe('not-found');
    expect(e.message).toContain('decoder_model_merged.onnx');
  });

  it('checks the config against the decoder: names of cache inputs and outputs', async () => {
    const names = await loadError(await folderWith((c) => (c.model.decoder.outputs.present_key_names = 'present_key.%d')));
    expect(names.message).toMatch(/present_key_names .*"present_key\.0".*no such output/);
  });

  it("takes each layer's KV head count and head size from the decoder's static shapes, as onnxruntime-genai does", async () => {
    // gemma4 mixes layers of different head counts and sizes; the model's shapes are the truth.
    const reference = await loadFolder(await writeTinyGenaiFolder(join(await tempDir(), 'tiny')));
    const edited = await loadFolder(
      await folderWith((c) => {
        c.model.decoder.num_key_value_heads = 2;
        c.model.decoder.head_size = 4;
      }),
    );
    try {
      expect(edited.model.states.slots.map((s) => s.initialDims)).toEqual(reference.model.states.slots.map((s) => s.initialDims));
      expect(edited.model.states.slots[0]!.initialDims).toEqual([1, 1, 0, 8]);
      expect(await generateIds(edited, [1, 3, 5], { max_new_tokens: 8 })).toEqual(await generateIds(reference, [1, 3, 5], { max_new_tokens: 8 }));
    } finally {
      await reference.dispose();
      await edited.dispose();
    }
  });

  it('derives head_size from hidden_size and treats eos_token_id lists as stop sets', () => {
    const config = tinyGenaiConfig() as any;
    delete config.model.decoder.head_size;
    config.model.eos_token_id = [2, 7];
    const parsed = parseGenaiConfig(JSON.stringify(config));
    expect(parsed.decoder.headSize).toBe(16 / 2);
    expect(parsed.eosTokenIds).toEqual([2, 7]);
    expect(parsed.decoder.kv).toMatchObject({ combined: false, pastKey: 'past_key_values.%d.key' });
  });

  it('rejects unknown model options', async () => {
    const e = await loadError(await writeTinyGenaiFolder(join(await tempDir(), 'tiny')), { beams: 2 });
    expect(e.message).toContain('model option: unknown option "beams"; the genai backend knows threads, do_sample');
  });

  it('refuses beam search', async () => {
    const e = await loadError(await folderWith((c) => (c.search.num_beams = 4)));
    expect(e.code).toBe('unsupported-operation');
  });
});

describe('request errors', () => {
  let graph: GenaiGraph;
  beforeAll(async () => {
    graph = await loadFolder(await writeTinyGenaiFolder(join(await tempDir(), 'tiny'), { contextLength: 16 }));
  });
  afterAll(() => graph.dispose());

  async function computeError(inputs: Parameters<ReturnType<GenaiGraph['createContext']>['compute']>[0]): Promise<NnError> {
    const error = await Promise.resolve(graph.createContext().compute(inputs)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NnError);
    return error as NnError;
  }

  it('refuses a prompt as long as the context, with the prompt-too-long reason', async () => {
    const e = await computeError([prompt(Array(16).fill('cat').join(' '))]);
    expect(e.reason).toBe('prompt-too-long');
    expect(e.message).toContain('17 tokens');
    expect(e.message).toContain('context length is 16');
    // One token shorter than the context fits; generation stops when the context is full.
    const outputs = await graph.createContext().compute([idsInput(Array(15).fill(5))]);
    expect(outputs[0]!.tensor.dimensions).toEqual([1, 15, graph.config.vocabSize]);
    expect(await generateIds(graph, Array(10).fill(5), { max_length: 100 })).toHaveLength(6);
  });

  it('names unknown inputs and metadata keys, and token ids outside the vocabulary', async () => {
    expect((await computeError([{ name: 'pixels', tensor: textTensor('x') }])).message).toContain('unknown input "pixels"');
    expect((await computeError([prompt('the cat'), metadata({ max_new_tokens: 'five' })])).message).toContain('metadata: option "max_new_tokens" must be an integer');
    expect((await computeError([prompt('the cat'), metadata({ num_beams: 4 })])).message).toContain('"num_beams" must be 1 (beam search is not implemented)');
    // Keys for other runtimes (a guest written for WasmEdge's GGML plugin) are ignored.
    const foreign = await graph.createContext().compute([prompt('the cat'), metadata({ n_predict: 5, max_new_tokens: 2 })]);
    expect(foreign[1]!.tensor.dimensions).toEqual([2]);
    expect((await computeError([idsInput([1, 999]), metadata({ generate: true })])).message).toContain('token id 999 is outside the vocabulary');
    expect((await computeError([prompt('a'), idsInput([1])])).message).toContain('exactly one of prompt');
    expect((await computeError([prompt('[{"role": "user"}]'), metadata({ chat: true })])).message).toContain('a JSON list of {"role", "content"} messages');
  });

});

describe('the host after a failed load', () => {
  it('reports the error to the guest and goes on serving other models', async () => {
    const backends = new BackendRegistry();
    backends.register(genaiBackend);
    const models = new ModelRegistry();
    models.add('broken', { path: await folderWith((c) => (c.model.type = 't5')) });
    models.add('tiny', { path: await writeTinyGenaiFolder(join(await tempDir(), 'tiny')), options: { threads: 1 } });
    const logged: string[] = [];
    const host = new NnHost(backends, models, { log: (line) => logged.push(line) });
    const session = host.session();
    try {
      const failure = await session.loadByName('broken').catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(NnError);
      expect((failure as NnError).code).toBe('unsupported-operation');
      // Options a guest sends are checked like the user's: no thread pool larger than the machine.
      const greedy = (await session.loadByName('tiny', { threads: 1024 }).catch((e: unknown) => e)) as NnError;
      expect([greedy.code, greedy.message]).toEqual(['invalid-argument', `load_by_name_with_config: option "threads" 1024 is more threads than this machine's ${availableParallelism()} cores`]);
      const graph = await session.loadByName('tiny');
      const context = await session.initContext(graph);
      const outputs = await session.compute(context, [prompt('the cat sat'), metadata({ max_new_tokens: 3 })]);
      expect(outputs.map((o) => o.name)).toEqual(['response', 'output_ids']);
      expect(outputs[1]!.tensor.dimensions).toEqual([3]);
    } finally {
      await session.close();
      await host.dispose();
    }
  });
});
