/**
 * One wasi:nn execution context: a sequence borrowed from the graph's shared llama context for each
 * generation (see SequencePool), over the graph's shared model. Options from `metadata` inputs stay
 * with the context for later computes (as in WasmEdge). A raw completion starts afresh each compute
 * (the KV cache of a shared prompt prefix is reused while the context keeps its sequence); with
 * `chat`, the context keeps the conversation, and each prompt is the next user message; a `messages`
 * input is a whole conversation, rendered through the model's chat template, that it replaces.
 */
import { mergeTextOptions, NnError, streamSteps, toNnError, type ExecutionContext, type NamedTensor, type TextUsage as Usage } from '@wacs/core/backend';
import type {
  ChatHistoryItem,
  ChatUserMessage,
  LlamaChatSession,
  LlamaCompletion,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaGrammar,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import { llamaBuildInfo, nodeLlamaCpp, raiseLogLevel } from './engine.js';
import type { LlamaGraph } from './graph.js';
import { changedModelOptions, noteIgnored, parseOptions, REPEAT_PENALTY_LAST_TOKENS, SAMPLING_DEFAULTS, type LlamaOptions } from './options.js';
import { OutputTracker, type OutputListener } from './output-tracker.js';
import { embeddingOutputs, llamaTextOutputs } from './outputs.js';
import { readLlamaRequest, type LlamaRequest } from './request.js';
import { contextSettings, settingsKey, type ContextSettings, type SequencePool } from './sequence-pool.js';

interface Generated {
  text: string;
  usage: Usage;
}

/** The token llama.cpp puts before a prompt, if any (node-llama-cpp's rule for completions). */
function beginningToken(model: LlamaModel): Token | null {
  switch (model.vocabularyType) {
    case 'rwkv':
    case 'ugm':
      return null;
    case 'wpm':
      return model.tokens.bos;
    default:
      return model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  }
}

function promptTooLong(tokens: number, contextSize: number): NnError {
  return new NnError(
    'invalid-argument',
    `the prompt is too long: ${tokens} tokens, and the context holds ${contextSize} with room to generate at least one; shorten the prompt or raise ctx-size`,
    'prompt-too-long',
  );
}

function contextFull(contextSize: number, usage: Usage): NnError {
  return new NnError(
    'runtime-error',
    `the context is full: ${usage.inputTokens} prompt tokens and ${usage.outputTokens} generated filled its ${contextSize} tokens before the output ended; raise ctx-size or set n-predict`,
    'context-full',
  );
}

export class LlamaExecutionContext implements ExecutionContext {
  private options: LlamaOptions;
  /** A llama context of its own, for computes whose settings differ from the graph's (not shared). */
  private ownContext?: { context: LlamaContext; sequence: LlamaContextSequence; key: string };
  /** The sequence of the generation running now (or last), and the pool it came from. */
  private borrowed?: { sequence: LlamaContextSequence; pool?: SequencePool };
  /** The sequence the completion and chat session below run on. */
  private boundTo?: LlamaContextSequence;
  private completion?: LlamaCompletion;
  private chat?: LlamaChatSession;
  private embeddingContext?: { context: LlamaEmbeddingContext; key: string };
  /** The generation in progress, so a new compute can stop an unfinished stream first. */
  private running?: { controller: AbortController; finished: Promise<unknown> };
  /** What the last generation produced, kept when it failed (a full context keeps its text). */
  private last: Generated = { text: '', usage: { inputTokens: 0, outputTokens: 0 } };

  constructor(private readonly graph: LlamaGraph) {
    this.options = graph.options;
  }

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const stdout = (text: string) => void process.stdout.write(text);
    // stream-stdout prints from the host as tokens come (component guests cannot stream otherwise).
    return this.run(inputs, (options) => ({ onText: options['stream-stdout'] ? stdout : () => {} }));
  }

  /** Token streaming: each step is one chunk of text (usually one token) with the usage so far. */
  stream(inputs: NamedTensor[]): AsyncIterator<NamedTensor[], NamedTensor[]> {
    const build = llamaBuildInfo(this.graph.llama);
    return streamSteps<NamedTensor[], NamedTensor[]>(
      (push, signal) => this.run(inputs, () => ({ signal, onText: (text, usage) => push(llamaTextOutputs(text, usage, build)) })),
      [],
    );
  }

  /**
   * What a guest reads before computing, or after a compute failed (WasmEdge's get_output): output
   * 0 the last generation's text (the partial text after a full context), output 1 the metadata
   * with the token count of the prompt set now and the tokens last generated.
   */
  async peekOutputs(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const request = readLlamaRequest(inputs, { promptOptional: true });
    let options = this.options;
    if (request.metadata) options = mergeTextOptions(options, parseOptions(request.metadata, 'metadata'), this.graph.options);
    const inputTokens = request.messages
      ? await this.chatTokens(request.messages)
      : request.prompt === undefined
        ? 0
        : await this.countInputTokens(request.prompt, options);
    return llamaTextOutputs(this.last.text, { inputTokens, outputTokens: this.last.usage.outputTokens }, llamaBuildInfo(this.graph.llama));
  }

  /** The prompt's tokens as a compute would evaluate them (a chat counts the whole conversation). */
  private async countInputTokens(prompt: string, options: LlamaOptions): Promise<number> {
    if (!options.chat || options.embedding) return this.promptTokens(prompt).length;
    if (!this.chat) return this.promptTokens(prompt).length;
    return this.chatTokens([...this.chat.getChatHistory(), { type: 'user', text: prompt }]);
  }

  /**
   * A raw prompt's tokens as WasmEdge's GGML plugin makes them (llama.cpp's tokenizer with special
   * tokens parsed, so a prompt may carry its own chat template such as `<|im_start|>`), BOS first
   * where the model wants it.
   */
  private promptTokens(prompt: string): Token[] {
    const model = this.graph.model;
    const bos = beginningToken(model);
    const tokens = model.tokenize(prompt, true);
    return bos === null || tokens[0] === bos ? tokens : [bos, ...tokens];
  }

  async dispose(): Promise<void> {
    this.running?.controller.abort();
    await this.running?.finished;
    this.chat?.dispose();
    this.completion?.dispose();
    await this.borrowed?.pool?.forget(this);
    await this.ownContext?.context.dispose();
    await this.embeddingContext?.context.dispose();
  }

  /** Runs one request: options, then an embedding, a chat reply or a raw completion. */
  private async run(inputs: NamedTensor[], listen: (options: LlamaOptions) => OutputListener): Promise<NamedTensor[]> {
    const request = readLlamaRequest(inputs);
    let options = this.options;
    let ignored: string[] = [];
    if (request.metadata) {
      // Metadata comes from the guest: keys the backend does not know are skipped, as in WasmEdge.
      const update = parseOptions(request.metadata, 'metadata');
      // WasmEdge reloads the model for a changed load-time key; here the graph's contexts share it.
      ignored = [...update.ignored, ...changedModelOptions(this.graph.options, update.set).map((name) => `${name} (changed per compute: the model stays loaded as it was)`)];
      options = mergeTextOptions(options, update, this.graph.options);
    }
    this.last = { text: '', usage: { inputTokens: 0, outputTokens: 0 } };
    // Options are kept for later computes only once they work (a grammar that compiles).
    const grammar = await this.graph.grammar(options);
    this.options = options;
    if (options['enable-debug-log']) raiseLogLevel(this.graph.llama, 'debug');
    else if (options['enable-log']) raiseLogLevel(this.graph.llama, 'info');
    noteIgnored(ignored, options, 'metadata');
    const settings = this.settings(options);
    const build = llamaBuildInfo(this.graph.llama);

    if (options.embedding) {
      if (request.prompt === undefined) throw new NnError('invalid-argument', 'an embedding takes a "prompt" input, not "messages"');
      const { vector, inputTokens } = await this.embed(request.prompt, settings);
      return embeddingOutputs(vector, inputTokens, build);
    }

    // One generation at a time per context: a new one stops an unfinished stream.
    this.running?.controller.abort();
    await this.running?.finished;
    const listener = listen(options);
    const controller = new AbortController();
    listener.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const generation = this.generate(request, options, settings, grammar, { ...listener, signal: controller.signal });
    const running = { controller, finished: generation.catch(() => {}) };
    this.running = running;
    try {
      const { text, usage } = await generation;
      return llamaTextOutputs(text, usage, build);
    } finally {
      if (this.running === running) this.running = undefined;
    }
  }

  private settings(options: LlamaOptions): ContextSettings {
    return contextSettings(this.graph, options);
  }

  /**
   * A sequence for the next generation: from the graph's shared context when the settings are the
   * graph's (waiting while all are generating), else from a llama context of this one's own. The
   * completion and chat session move onto it, keeping the conversation.
   */
  private async takeSequence(settings: ContextSettings, signal: AbortSignal): Promise<LlamaContextSequence> {
    const pool = this.graph.sharedSequences(settings);
    let sequence: LlamaContextSequence;
    if (pool) {
      await this.ownContext?.context.dispose();
      this.ownContext = undefined;
      sequence = await pool.acquire(this, signal);
    } else {
      await this.borrowed?.pool?.forget(this); // a shared sequence parked by an earlier compute
      const key = settingsKey(settings);
      if (this.ownContext?.key !== key) {
        await this.ownContext?.context.dispose();
        this.ownContext = undefined;
        let context: LlamaContext;
        try {
          context = await this.graph.model.createContext({ ...settings, sequences: 1 });
        } catch (e) {
          throw toNnError(e, 'runtime-error', `cannot create a llama context of ${settings.contextSize} tokens`);
        }
        this.ownContext = { context, sequence: context.getSequence(), key };
      }
      sequence = this.ownContext.sequence;
    }
    this.borrowed = { sequence, pool };
    if (sequence !== this.boundTo) await this.bind(sequence);
    return sequence;
  }

  /** After a generation: a shared sequence is parked (kept, unless another context needs it). */
  private putSequenceBack(): void {
    const borrowed = this.borrowed;
    if (borrowed?.pool) borrowed.pool.park(this, borrowed.sequence);
  }

  /** Moves the completion and chat session onto `sequence` (its KV cache is rebuilt from the conversation). */
  private async bind(sequence: LlamaContextSequence): Promise<void> {
    const history = this.chat?.getChatHistory();
    this.chat?.dispose();
    this.chat = undefined;
    this.completion?.dispose();
    this.completion = undefined;
    this.boundTo = sequence;
    if (history) (await this.chatSession()).setChatHistory(history);
  }

  private async chatSession(): Promise<LlamaChatSession> {
    if (!this.chat) {
      const { LlamaChatSession } = await nodeLlamaCpp();
      this.chat = new LlamaChatSession({ contextSequence: this.boundTo!, chatWrapper: await this.graph.chatWrapper() });
    }
    return this.chat;
  }

  private sampling(options: LlamaOptions) {
    const penalty = options['repeat-penalty'] ?? SAMPLING_DEFAULTS['repeat-penalty'];
    const presencePenalty = options['presence-penalty'] ?? 0;
    const frequencyPenalty = options['frequency-penalty'] ?? 0;
    return {
      temperature: options.temp ?? SAMPLING_DEFAULTS.temp,
      topK: options['top-k'] ?? SAMPLING_DEFAULTS['top-k'],
      topP: options['top-p'] ?? SAMPLING_DEFAULTS['top-p'],
      minP: options['min-p'] ?? SAMPLING_DEFAULTS['min-p'],
      seed: options.seed,
      repeatPenalty:
        penalty === 1 && presencePenalty === 0 && frequencyPenalty === 0
          ? (false as const)
          : { penalty, presencePenalty, frequencyPenalty, lastTokens: REPEAT_PENALTY_LAST_TOKENS },
    };
  }

  private async generate(
    request: LlamaRequest,
    options: LlamaOptions,
    settings: ContextSettings,
    grammar: LlamaGrammar | undefined,
    listener: OutputListener & { signal: AbortSignal },
  ): Promise<Generated> {
    const sequence = await this.takeSequence(settings, listener.signal);
    try {
      if (request.messages) {
        // The conversation becomes the messages before the last, which is the prompt.
        const chat = await this.chatSession();
        chat.setChatHistory(request.messages.slice(0, -1));
        const last = request.messages.at(-1) as ChatUserMessage;
        return await this.chatReply(last.text, options, settings, listener, grammar);
      }
      return options.chat
        ? await this.chatReply(request.prompt!, options, settings, listener, grammar)
        : await this.complete(request.prompt!, options, settings, sequence, listener, grammar);
    } finally {
      this.putSequenceBack();
    }
  }

  private async complete(
    prompt: string,
    options: LlamaOptions,
    { contextSize }: ContextSettings,
    sequence: LlamaContextSequence,
    listener: OutputListener,
    grammar: LlamaGrammar | undefined,
  ): Promise<Generated> {
    const tokens = this.promptTokens(prompt);
    // node-llama-cpp adds BOS itself.
    const bos = beginningToken(this.graph.model);
    const promptTokens = bos === null ? tokens : tokens.slice(1);
    const inputTokens = tokens.length;
    this.last = { text: '', usage: { inputTokens, outputTokens: 0 } };
    const room = contextSize - inputTokens;
    if (room < 1) throw promptTooLong(inputTokens, contextSize);
    const nPredict = options['n-predict'] ?? -1;
    const maxTokens = nPredict > 0 ? Math.min(nPredict, room) : room;

    if (!this.completion) {
      const { LlamaCompletion } = await nodeLlamaCpp();
      this.completion = new LlamaCompletion({ contextSequence: sequence });
    }
    const output = new OutputTracker(inputTokens, options['reverse-prompt'], listener);
    const result = await this.completion
      .generateCompletionWithMeta(promptTokens, {
        ...this.sampling(options),
        grammar,
        maxTokens,
        // Never drop prompt tokens to make room: a full context is an error the guest should see.
        disableContextShift: true,
        contextShiftSize: 1,
        signal: output.signal,
        stopOnAbortSignal: true,
        onToken: output.onToken,
        onTextChunk: output.onTextChunk,
      })
      .catch((e: unknown) => {
        throw toNnError(e, 'runtime-error', 'llama.cpp generation failed');
      });
    const text = output.finish();
    this.last = { text, usage: output.usage };
    if (result.metadata.stopReason === 'maxTokens' && maxTokens === room && nPredict !== room) throw contextFull(contextSize, output.usage);
    return this.last;
  }

  private async chatReply(
    prompt: string,
    options: LlamaOptions,
    { contextSize }: ContextSettings,
    listener: OutputListener,
    grammar: LlamaGrammar | undefined,
  ): Promise<Generated> {
    const model = this.graph.model;
    const messageTokens = model.tokenize(prompt).length;
    if (messageTokens >= contextSize) throw promptTooLong(messageTokens, contextSize);
    const chat = await this.chatSession();
    const inputTokens = await this.chatTokens([...chat.getChatHistory(), { type: 'user', text: prompt }]);
    const nPredict = options['n-predict'] ?? -1;
    // Earlier turns make room by themselves (node-llama-cpp drops the oldest); the reply alone may
    // not outgrow the context.
    const maxTokens = nPredict > 0 ? nPredict : contextSize;
    const output = new OutputTracker(inputTokens, options['reverse-prompt'], listener);
    const result = await chat
      .promptWithMeta(prompt, {
        ...this.sampling(options),
        grammar,
        maxTokens,
        signal: output.signal,
        stopOnAbortSignal: true,
        onToken: output.onToken,
        onTextChunk: output.onTextChunk,
      })
      .catch((e: unknown) => {
        if (/too long|context size is too small|compress chat history/i.test((e as Error).message ?? '')) {
          throw new NnError('invalid-argument', `the conversation does not fit the context of ${contextSize} tokens: ${(e as Error).message}`, 'prompt-too-long');
        }
        throw toNnError(e, 'runtime-error', 'llama.cpp chat generation failed');
      });
    const text = output.finish();
    if (output.stopped) {
      // The conversation remembers the reply as the guest got it, without the reverse prompt.
      const history = chat.getChatHistory();
      history[history.length - 1] = { type: 'model', response: [text] };
      chat.setChatHistory(history);
    }
    this.last = { text, usage: output.usage };
    if (result.stopReason === 'maxTokens' && nPredict < 0) throw contextFull(contextSize, output.usage);
    // Count again from what was evaluated: node-llama-cpp may have dropped early turns to fit.
    const window = chat.getLastEvaluationContextWindow();
    if (window) output.inputTokens = await this.chatTokens(window.slice(0, -1));
    this.last = { text, usage: output.usage };
    return this.last;
  }

  /** Tokens of a conversation as the chat template renders it, up to the start of the reply. */
  private async chatTokens(history: ChatHistoryItem[]): Promise<number> {
    const wrapper = await this.graph.chatWrapper();
    const state = wrapper.generateContextState({ chatHistory: [...history, { type: 'model', response: [] }] });
    return state.contextText.tokenize(this.graph.model.tokenizer).length;
  }

  private async embed(prompt: string, settings: ContextSettings): Promise<{ vector: readonly number[]; inputTokens: number }> {
    const key = settingsKey(settings);
    if (this.embeddingContext?.key !== key) {
      await this.embeddingContext?.context.dispose();
      this.embeddingContext = undefined;
      try {
        this.embeddingContext = { context: await this.graph.model.createEmbeddingContext(settings), key };
      } catch (e) {
        throw toNnError(e, 'runtime-error', 'cannot create a llama embedding context');
      }
    }
    const context = this.embeddingContext.context;
    const inputTokens = context.calculateInputLength(prompt);
    if (inputTokens > settings.contextSize) throw promptTooLong(inputTokens, settings.contextSize);
    try {
      const { vector } = await context.getEmbeddingFor(prompt);
      return { vector, inputTokens };
    } catch (e) {
      throw toNnError(e, 'runtime-error', 'llama.cpp embedding failed');
    }
  }
}
