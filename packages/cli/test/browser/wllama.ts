/**
 * wllama called directly in a `wacs web` page: the same bundle the page's backend came from
 * (@wacs/backend-wllama re-exports the engine), the same wllama.wasm and the same model URL. The
 * oracle the guest's output through the backend must equal, and the benchmark's baseline.
 */
import type { Page } from 'puppeteer-core';

export interface DirectCompletion {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** Milliseconds from the request to the last token. */
  ms: number;
}

/** A raw completion by wllama in the page, on the model the page serves as `model`. */
export async function directCompletion(
  page: Page,
  model: string,
  prompt: string,
  params: { nPredict: number; nCtx: number; threads: number; temperature: number; repeatPenalty: number },
): Promise<DirectCompletion> {
  // The module is imported by a page script given as text: vitest rewrites import() in test code.
  await page.evaluate(`fetch('/config.json').then((r) => r.json()).then((config) => {
    const entry = config.backends.find((b) => b.package === '@wacs/backend-wllama');
    return import(new URL(entry.url, location.href).href).then((m) => { window.wllamaDirect = { Wllama: m.Wllama, assetsUrl: entry.assetsUrl }; });
  })`);
  return page.evaluate(
    async (model, prompt, params) => {
      const { Wllama, assetsUrl } = (window as unknown as { wllamaDirect: { Wllama: typeof import('@wacs/backend-wllama').Wllama; assetsUrl: string } }).wllamaDirect;
      const quiet = { debug: () => {}, log: () => {}, warn: () => {}, error: console.error };
      const engine = new Wllama({ default: new URL(`${assetsUrl}wllama.wasm`, location.href).href }, { suppressNativeLog: true, logger: quiet });
      engine.setCompat(null);
      const blob = await (await fetch(`/models/${model}`)).blob();
      await engine.loadModel([blob], { n_ctx: params.nCtx, n_threads: params.threads, n_gpu_layers: 0, n_parallel: 1 });
      const started = performance.now();
      const request = { prompt, temperature: params.temperature, repeat_penalty: params.repeatPenalty, n_predict: params.nPredict, top_k: 40, top_p: 0.95, min_p: 0.05 };
      const result = await engine.createCompletion(request as Parameters<typeof engine.createCompletion>[0] & { stream?: false });
      const ms = performance.now() - started;
      await engine.exit();
      return { text: result.choices[0]!.text, promptTokens: result.usage.prompt_tokens, completionTokens: result.usage.completion_tokens, ms };
    },
    model,
    prompt,
    params,
  );
}
