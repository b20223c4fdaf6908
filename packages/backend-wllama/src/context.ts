/**
 * One wasi:nn execution context on wllama: options from `metadata` inputs stay with it for later
 * computes (as in WasmEdge). A raw completion starts afresh each compute (llama.cpp reuses the KV
 * cache of a shared prompt prefix); with `chat`, the context keeps the conversation, and each
 * prompt is the next user message, rendered with the model's chat template by llama.cpp. A
 * `grammar` or `json-schema` constrains the output (llama.cpp turns a schema into a grammar);
 * `embedding` returns the prompt's vector, from an engine started in embedding mode.
 */
import { mergeTextOptions, NnError, readTextRequest, REPEAT_PENALTY_LAST_TOKENS, SAMPLING_DEFAULTS, streamSteps, toNnError, type ExecutionContext, type NamedTensor, type TextUsage } from '@wacs/core/backend';
import type { Wllama } from '@wllama/wllama';
import { streamStdout } from './engine.js';
import type { WllamaGraph } from './graph.js';
import { parseMetadata, type WllamaOptions } from './options.js';
import { wllamaEmbeddingOutputs, wllamaTextOutputs } from './outputs.js';

interface Generated {
  text: string;
  usage: TextUsage;
}

type OnText = (text: string, usage: TextUsage) => void;

/** What a streamed chunk of either kind of completion carries. */
interface Chunk {
  choices: Array<{ text?: string; delta?: { content?: string | null }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  timings?: { prompt_n: number; cache_n: number; predicted_n: number };
}

function contextFull(contextSize: number, usage: TextUsage): NnError {
  return new NnError(
    'runtime-error',
    `the context is full: ${usage.inputTokens} prompt tokens and ${usage.outputTokens} generated filled its ${contextSize} tokens before the output ended; raise ctx-size or set n-predict`,
    'context-full',
  );
}

/** A grammar or JSON schema llama.cpp refused: the guest's invalid-argument, as on backend-llama. */
class ConstraintError extends NnError {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

/**
 * What a failed request means for the guest. `constrained`: the request had a grammar or JSON
 * schema and failed before its first token, as a bad one makes it fail (llama.cpp parses the grammar,
 * or makes one of the schema, when the request starts).
 */
function requestError(e: unknown, contextSize: number, what: 'generation' | 'embedding', constrained?: Pick<WllamaOptions, 'grammar' | 'json-schema'>): NnError {
  const message = (e as Error)?.message ?? String(e);
  if (/exceed|context size|too long|too large/i.test(message)) {
    return new NnError('invalid-argument', `the prompt does not fit the context of ${contextSize} tokens (${message}); shorten the prompt or raise ctx-size`, 'prompt-too-long');
  }
  if (constrained?.grammar !== undefined && /grammar/i.test(message)) return new ConstraintError(`the grammar does not compile: ${message}`);
  if (constrained?.['json-schema'] !== undefined) {
    // wllama 3.13's glue drops llama.cpp's answer when a schema does not convert: its reason is only in the log.
    return new ConstraintError("the JSON schema cannot be turned into a grammar: llama.cpp refused it (with enable-log=true its reason is on the page's console)");
  }
  return toNnError(e, 'runtime-error', `llama.cpp (wllama) ${what} failed`);
}

/** llama.cpp's sampling and stopping parameters (llama-server's names) for these options. */
function samplingParams(options: WllamaOptions): Record<string, unknown> {
  const reversePrompt = options['reverse-prompt'];
  return {
    temperature: options.temp ?? SAMPLING_DEFAULTS.temp,
    top_k: options['top-k'] ?? SAMPLING_DEFAULTS['top-k'],
    top_p: options['top-p'] ?? SAMPLING_DEFAULTS['top-p'],
    min_p: options['min-p'] ?? SAMPLING_DEFAULTS['min-p'],
    repeat_penalty: options['repeat-penalty'] ?? SAMPLING_DEFAULTS['repeat-penalty'],
    repeat_last_n: REPEAT_PENALTY_LAST_TOKENS,
    presence_penalty: options['presence-penalty'] ?? 0,
    frequency_penalty: options['frequency-penalty'] ?? 0,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    n_predict: options['n-predict'] ?? -1,
    ...(options.grammar !== undefined ? { grammar: options.grammar } : {}),
    ...(options['json-schema'] !== undefined ? { json_schema: JSON.parse(options['json-schema']) as unknown } : {}),
    // llama.cpp holds back text that may be the start of a stop string, so a stream never shows part of it.
    ...(reversePrompt ? { stop: reversePrompt } : {}),
    cache_prompt: true,
  };
}

export class WllamaExecutionContext implements ExecutionContext {
  private options: WllamaOptions;
  private readonly conversation: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  /** The generation in progress, so a new compute can stop an unfinished stream first. */
  private running?: { controller: AbortController; finished: Promise<unknown> };

  constructor(private readonly graph: WllamaGraph) {
    this.options = graph.options;
  }

  compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    // stream-stdout prints as tokens come (component guests cannot stream otherwise).
    return this.run(inputs, (options) => (options['stream-stdout'] ? (text) => streamStdout(text) : () => {}));
  }

  /** Token streaming (the wacs:stream step): each step is one chunk of text with the usage so far. */
  stream(inputs: NamedTensor[]): AsyncIterator<NamedTensor[], NamedTensor[]> {
    return streamSteps<NamedTensor[], NamedTensor[]>(
      (push, signal) =>
        this.run(
          inputs,
          () => (text, usage) => push(wllamaTextOutputs(text, usage)),
          signal,
          // Each step carries the tokens generated so far: llama.cpp then times every token (else only the last).
          true,
        ),
      [],
    );
  }

  async dispose(): Promise<void> {
    this.running?.controller.abort();
    await this.running?.finished;
  }

  private async run(inputs: NamedTensor[], listen: (options: WllamaOptions) => OnText, signal?: AbortSignal, usagePerToken = false): Promise<NamedTensor[]> {
    const request = readTextRequest(inputs, 'wllama');
    let options = this.options;
    // Metadata comes from the guest: keys the backend does not know are skipped, as in WasmEdge.
    if (request.metadata) options = mergeTextOptions(options, parseMetadata(request.metadata), this.graph.options);
    const settings = this.graph.settings(options);
    const engine = await this.graph.engine(settings, options['enable-log'] ?? false);
    const earlier = this.options;
    this.options = options;
    if (options.embedding) return this.embed(engine, request.prompt, settings.contextSize);

    // One generation at a time per context: a new one stops an unfinished stream.
    this.running?.controller.abort();
    await this.running?.finished;
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const generation = this.generate(engine, request.prompt, options, settings.contextSize, listen(options), controller.signal, usagePerToken);
    const running = { controller, finished: generation.catch(() => {}) };
    this.running = running;
    try {
      const { text, usage } = await generation;
      return wllamaTextOutputs(text, usage);
    } catch (e) {
      // Options are kept for later computes only once they work (a grammar that compiles), as on backend-llama.
      if (e instanceof ConstraintError) this.options = earlier;
      throw e;
    } finally {
      if (this.running === running) this.running = undefined;
    }
  }

  /** The prompt's embedding, as llama.cpp computes it (not normalised), with backend-llama's outputs. */
  private async embed(engine: Wllama, prompt: string, contextSize: number): Promise<NamedTensor[]> {
    let response: Awaited<ReturnType<Wllama['createEmbedding']>>;
    try {
      response = await engine.createEmbedding({ input: prompt, embd_normalize: -1 });
    } catch (e) {
      throw requestError(e, contextSize, 'embedding');
    }
    // An empty prompt is the beginning-of-text token alone to llama.cpp, which embeds it; node-llama-cpp
    // (backend-llama) gives no vector for it, and the guest sees the same answer from both.
    const vector = prompt === '' ? [] : (response.data[0]!.embedding as number[]);
    return wllamaEmbeddingOutputs(vector, response.usage.prompt_tokens);
  }

  private async generate(
    engine: Wllama,
    prompt: string,
    options: WllamaOptions,
    contextSize: number,
    onText: OnText,
    signal: AbortSignal,
    usagePerToken: boolean,
  ): Promise<Generated> {
    const usage: TextUsage = { inputTokens: 0, outputTokens: 0 };
    let text = '';
    let finish: string | null = null;
    let answered = false;
    const onData = (chunk: Chunk) => {
      answered = true;
      const choice = chunk.choices[0];
      const piece = choice?.text ?? choice?.delta?.content ?? '';
      if (chunk.timings) {
        usage.inputTokens = chunk.timings.prompt_n + chunk.timings.cache_n;
        usage.outputTokens = chunk.timings.predicted_n;
      }
      if (chunk.usage) {
        usage.inputTokens = chunk.usage.prompt_tokens;
        usage.outputTokens = chunk.usage.completion_tokens;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (!piece) return;
      text += piece;
      onText(piece, { ...usage });
    };
    const params = { ...samplingParams(options), ...(usagePerToken ? { timings_per_token: true } : {}), stream: true as const, onData, abortSignal: signal };
    const messages = [...this.conversation, { role: 'user' as const, content: prompt }];
    try {
      if (options.chat) await engine.createChatCompletion({ ...params, messages } as Parameters<Wllama['createChatCompletion']>[0] & { stream: true; onData: typeof onData });
      else await engine.createCompletion({ ...params, prompt } as Parameters<Wllama['createCompletion']>[0] & { stream: true; onData: typeof onData });
    } catch (e) {
      // A stop asked for (a new compute, the guest ending the stream) keeps what was generated.
      if (!signal.aborted) throw requestError(e, contextSize, 'generation', answered ? undefined : options);
    }
    if (options.chat) this.conversation.push(messages.at(-1)!, { role: 'assistant', content: text });
    if (finish === 'length' && (options['n-predict'] ?? -1) < 0) throw contextFull(contextSize, usage);
    return { text, usage };
  }
}
