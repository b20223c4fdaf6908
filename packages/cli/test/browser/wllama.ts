/**
 * wllama called directly in a `wacs web` page: the same bundle the page's backend came from
 * (@wacs/backend-wllama re-exports the engine), the same wllama.wasm and the same model URL. The
 * oracle the guest's output through the backend must equal, and the benchmark's baseline.
 */
import type { Options } from '@wacs/core';
import type { Page } from 'puppeteer-core';

export interface DirectCompletion {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** Milliseconds from the request to the last token. */
  ms: number;
}

/** The bundle's wllama as window.wllamaDirect (imported by a page script given as text: vitest rewrites import() in test code). */
async function importWllama(page: Page): Promise<void> {
  await page.evaluate(`fetch('/config.json').then((r) => r.json()).then((config) => {
    const entry = config.backends.find((b) => b.package === '@wacs/backend-wllama');
    return import(new URL(entry.url, location.href).href).then((m) => { window.wllamaDirect = { Wllama: m.Wllama, assetsUrl: entry.assetsUrl }; });
  })`);
}

/**
 * The backend module as window.wllamaModule, configured with its engine's URL (window.wllamaAssets),
 * for calling it in the page: the guest's worker may have hosted the page's own copy.
 */
export async function importWllamaModule(page: Page): Promise<void> {
  await page.evaluate(`fetch('/config.json').then((r) => r.json()).then((config) => {
    const entry = config.backends.find((b) => b.package === '@wacs/backend-wllama');
    window.wllamaAssets = entry.assetsUrl;
    return import(new URL(entry.url, location.href).href);
  }).then((m) => {
    m.configure({ assetsUrl: window.wllamaAssets });
    window.wllamaModule = m;
  })`);
}

export interface DirectParams {
  nPredict: number;
  nCtx: number;
  threads: number;
  temperature: number;
  repeatPenalty: number;
  /** llama-server's `grammar` (GBNF). */
  grammar?: string;
  /** llama-server's `json_schema`. */
  jsonSchema?: unknown;
}

/** A raw completion by wllama in the page, on the model the page serves as `model`. */
export function directCompletion(page: Page, model: string, prompt: string, params: DirectParams): Promise<DirectCompletion> {
  return directGeneration(page, model, { prompt }, params);
}

/** One chat reply by wllama in the page (the model's chat template, applied by llama.cpp). */
export function directChatReply(page: Page, model: string, message: string, params: DirectParams): Promise<DirectCompletion> {
  return directGeneration(page, model, { message }, params);
}

/** wllama's completion (a prompt) or chat completion (one user message), with the sampling the guests ask for. */
async function directGeneration(page: Page, model: string, input: { prompt: string } | { message: string }, params: DirectParams): Promise<DirectCompletion> {
  await importWllama(page);
  return page.evaluate(
    async (model, input, params) => {
      const { Wllama, assetsUrl } = (window as unknown as { wllamaDirect: { Wllama: typeof import('@wacs/backend-wllama').Wllama; assetsUrl: string } }).wllamaDirect;
      const quiet = { debug: () => {}, log: () => {}, warn: () => {}, error: console.error };
      const engine = new Wllama({ default: new URL(`${assetsUrl}wllama.wasm`, location.href).href }, { suppressNativeLog: true, logger: quiet });
      engine.setCompat(null);
      await engine.loadModel([await (await fetch(`/models/${model}`)).blob()], { n_ctx: params.nCtx, n_threads: params.threads, n_gpu_layers: 0, n_parallel: 1 });
      const started = performance.now();
      const sampling = {
        temperature: params.temperature,
        repeat_penalty: params.repeatPenalty,
        n_predict: params.nPredict,
        top_k: 40,
        top_p: 0.95,
        min_p: 0.05,
        ...(params.grammar !== undefined ? { grammar: params.grammar } : {}),
        ...(params.jsonSchema !== undefined ? { json_schema: params.jsonSchema } : {}),
      };
      let text: string;
      let usage: { prompt_tokens: number; completion_tokens: number };
      if ('prompt' in input) {
        const request = { prompt: input.prompt, ...sampling };
        const result = await engine.createCompletion(request as Parameters<typeof engine.createCompletion>[0] & { stream?: false });
        [text, usage] = [result.choices[0]!.text, result.usage];
      } else {
        const request = { messages: [{ role: 'user' as const, content: input.message }], ...sampling };
        const result = await engine.createChatCompletion(request as Parameters<typeof engine.createChatCompletion>[0] & { stream?: false });
        [text, usage] = [result.choices[0]!.message.content ?? '', result.usage];
      }
      const ms = performance.now() - started;
      await engine.exit();
      return { text, promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, ms };
    },
    model,
    input,
    params,
  );
}

export interface DirectEmbedding {
  vector: number[];
  promptTokens: number;
}

/**
 * An embedding by wllama in the page: an engine started in embedding mode with `pooling`, the
 * vector not normalised (llama-server normalises by default).
 */
export async function directEmbedding(page: Page, model: string, text: string, params: { nCtx: number; threads: number; pooling: 'last' | 'mean' | 'none' }): Promise<DirectEmbedding> {
  await importWllama(page);
  return page.evaluate(
    async (model, text, params) => {
      const { Wllama, assetsUrl } = (window as unknown as { wllamaDirect: { Wllama: typeof import('@wacs/backend-wllama').Wllama; assetsUrl: string } }).wllamaDirect;
      const quiet = { debug: () => {}, log: () => {}, warn: () => {}, error: console.error };
      const engine = new Wllama({ default: new URL(`${assetsUrl}wllama.wasm`, location.href).href }, { suppressNativeLog: true, logger: quiet });
      engine.setCompat(null);
      const blob = await (await fetch(`/models/${model}`)).blob();
      await engine.loadModel([blob], { n_ctx: params.nCtx, n_threads: params.threads, n_gpu_layers: 0, n_parallel: 1, embeddings: true, pooling_type: params.pooling });
      const result = await engine.createEmbedding({ input: text, embd_normalize: -1 });
      await engine.exit();
      return { vector: result.data[0]!.embedding as number[], promptTokens: result.usage.prompt_tokens };
    },
    model,
    text,
    params,
  );
}

/** One output as the page read it: U8 as text, FP32 as numbers. */
export interface ReadOutput {
  name: string;
  type: string;
  dimensions: number[];
  text?: string;
  values?: number[];
}

/** A compute's outputs, or the wasi-nn error it gave. */
export type ComputeResult = { outputs: ReadOutput[] } | { error: { code: string; message: string } };

/**
 * Computes through @wacs/backend-wllama in the page (the bundle `wacs web` serves): one graph of
 * `model` with `graphOptions`, one execution context, the requests in turn (options from
 * metadata stay with the context, as for a guest).
 */
export async function backendComputes(
  page: Page,
  model: string,
  requests: Array<{ prompt: string; metadata?: Record<string, unknown> }>,
  graphOptions: Options = { threads: 1 },
): Promise<ComputeResult[]> {
  await importWllamaModule(page);
  return page.evaluate(
    async (model, requests, graphOptions) => {
      const backend = (window as unknown as { wllamaModule: typeof import('@wacs/backend-wllama') }).wllamaModule.default;
      const tensor = (text: string) => {
        const data = new TextEncoder().encode(text);
        return { dimensions: [data.length], type: 'U8' as const, data };
      };
      const graph = await backend.load({ source: { kind: 'path', path: `/models/${model}` }, encoding: 'ggml', target: 'cpu', options: graphOptions });
      const context = await graph.createContext();
      const results = [];
      for (const { prompt, metadata } of requests) {
        const inputs = [{ name: 'prompt', tensor: tensor(prompt) }, ...(metadata ? [{ name: 'metadata', tensor: tensor(JSON.stringify(metadata)) }] : [])];
        try {
          const outputs = await context.compute(inputs);
          results.push({
            outputs: outputs.map(({ name, tensor: { type, dimensions, data } }) =>
              type === 'FP32'
                ? { name, type, dimensions: [...dimensions], values: Array.from(new Float32Array(data.slice().buffer)) }
                : { name, type, dimensions: [...dimensions], text: new TextDecoder().decode(data) },
            ),
          });
        } catch (e) {
          results.push({ error: { code: (e as { code: string }).code, message: (e as Error).message } });
        }
      }
      await context.dispose();
      await graph.dispose();
      return results;
    },
    model,
    requests,
    graphOptions,
  );
}
