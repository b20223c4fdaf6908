/**
 * protocol=openai: a text model behind an OpenAI-compatible API (vLLM, llama.cpp's server, Ollama,
 * `wacs serve` with openai-server, hosted APIs), for GGML-style text guests: the prompt in, the text
 * out, with the tensor contract of backend-llama (core's text-io). A raw prompt is a
 * `/v1/completions` request; with `chat` it is the next user message of a conversation the context
 * keeps (`/v1/chat/completions`); with `embedding`, `/v1/embeddings`. `stream()` and `stream-stdout`
 * read server-sent events, so tokens reach the guest as the server makes them.
 */
import { NnError, jsonTensor, readTextRequest, tensorFrom, textOutputs, type ExecutionContext, type Graph, type NamedTensor, type TextUsage } from '@wacs/core/backend';
import type { RemoteEndpoint } from './endpoint.js';
import { mergeGenerationOptions, requestFields, type GenerationOptions } from './openai-options.js';
import { sseData } from './sse.js';

interface Message {
  role: 'user' | 'assistant';
  content: string;
}

interface Choice {
  text?: string;
  message?: { content?: string | null };
  delta?: { content?: string | null };
  finish_reason?: string | null;
}

interface CompletionBody {
  choices?: Choice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

interface Generated {
  text: string;
  usage: TextUsage;
  finishReason?: string;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new NnError('runtime-error', `${what}: the server sent malformed JSON: ${(e as Error).message}`);
  }
}

function choiceText(choice: Choice | undefined): string {
  return choice?.delta?.content ?? choice?.message?.content ?? choice?.text ?? '';
}

function usageOf(body: CompletionBody, fallback: TextUsage): TextUsage {
  return {
    inputTokens: body.usage?.prompt_tokens ?? fallback.inputTokens,
    outputTokens: body.usage?.completion_tokens ?? fallback.outputTokens,
  };
}

export class OpenAiGraph implements Graph {
  private disposed = false;

  constructor(
    readonly endpoint: RemoteEndpoint,
    readonly model: string,
    /** Generation defaults from the graph options. */
    readonly options: GenerationOptions,
  ) {}

  /** Checks the server answers and, where it lists its models, that it has this one. */
  static async load(endpoint: RemoteEndpoint, model: string, options: GenerationOptions): Promise<OpenAiGraph> {
    const what = `OpenAI-compatible model list at ${endpoint.describe('/v1/models')}`;
    try {
      // A server without the list (404) is checked on the first request instead.
      const reply = await endpoint.call({ method: 'GET', path: '/v1/models', repeatable: true, what, accept: [404] });
      if (reply.status === 200) {
        const list = parseJson<{ data?: Array<{ id?: unknown }> }>(reply.body.toString(), what);
        const ids = Array.isArray(list.data) ? list.data.map((m) => String(m.id)) : undefined;
        if (ids && !ids.includes(model)) {
          throw new NnError('not-found', `the server at ${endpoint.base.origin} has no model "${model}"; it has ${ids.join(', ') || 'none'} (set remote-model=<one of them>)`, 'model-not-found');
        }
      }
    } catch (e) {
      endpoint.dispose();
      throw e;
    }
    return new OpenAiGraph(endpoint, model, options);
  }

  createContext(): OpenAiContext {
    return new OpenAiContext(this);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endpoint.dispose();
  }
}

export class OpenAiContext implements ExecutionContext {
  private options: GenerationOptions;
  private readonly history: Message[] = [];

  constructor(private readonly graph: OpenAiGraph) {
    this.options = graph.options;
  }

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const steps = this.run(inputs, true);
    for (;;) {
      const step = await steps.next();
      if (step.done) return step.value;
    }
  }

  /** Each step: one event's text (output "0") with the usage so far; the return value: what compute gives. */
  stream(inputs: NamedTensor[]): AsyncGenerator<NamedTensor[], NamedTensor[]> {
    return this.run(inputs, false);
  }

  dispose(): void {}

  /** One request; `fromCompute`: a plain compute (whole, or printed with stream-stdout) rather than stream(). */
  private async *run(inputs: NamedTensor[], fromCompute: boolean): AsyncGenerator<NamedTensor[], NamedTensor[]> {
    const request = readTextRequest(inputs, 'remote');
    const options = request.metadata ? mergeGenerationOptions(this.options, request.metadata, this.graph.options) : this.options;
    this.options = options;
    if (options.embedding) return await this.embed(request.prompt);

    const chat = options.chat === true;
    const messages: Message[] = chat ? [...this.history, { role: 'user', content: request.prompt }] : [];
    const body: Record<string, unknown> = chat ? { model: this.graph.model, messages } : { model: this.graph.model, prompt: request.prompt };
    Object.assign(body, requestFields(options));
    const path = chat ? '/v1/chat/completions' : '/v1/completions';
    const what = `${chat ? 'chat completion' : 'completion'} with "${this.graph.model}" at ${this.graph.endpoint.describe(path)}`;

    let generated: Generated;
    const printing = fromCompute && options['stream-stdout'] === true;
    if (fromCompute && !printing) {
      generated = await this.whole(path, body, what);
    } else {
      const events = this.events(path, body, what);
      let step: IteratorResult<string, Generated>;
      let usage: TextUsage = { inputTokens: 0, outputTokens: 0 };
      try {
        while (!(step = await events.next()).done) {
          usage = { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens + 1 };
          if (printing) process.stdout.write(step.value);
          else yield textOutputs(step.value, usage);
        }
      } finally {
        // The guest ended the stream early (fini_single, a new compute): close the connection.
        await events.return(undefined as never);
      }
      generated = step.value;
    }
    if (generated.finishReason === 'length' && (options['n-predict'] ?? -1) === -1) {
      throw new NnError(
        'runtime-error',
        `${what}: the server stopped at its length limit (${generated.usage.inputTokens} prompt tokens, ${generated.usage.outputTokens} generated) before the output ended; set n-predict or use a model with a larger context`,
        'context-full',
      );
    }
    if (chat) this.history.push({ role: 'user', content: request.prompt }, { role: 'assistant', content: generated.text });
    return textOutputs(generated.text, generated.usage);
  }

  /** A generation in one response: nothing reaches the guest before it is whole, so it may be retried. */
  private async whole(path: string, body: Record<string, unknown>, what: string): Promise<Generated> {
    const reply = await this.graph.endpoint.call({ method: 'POST', path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, repeatable: true, what });
    const json = parseJson<CompletionBody>(reply.body.toString(), what);
    const choice = json.choices?.[0];
    if (!choice) throw new NnError('runtime-error', `${what}: the response has no choices`);
    const text = choiceText(choice);
    return { text, usage: usageOf(json, { inputTokens: 0, outputTokens: 0 }), finishReason: choice.finish_reason ?? undefined };
  }

  /**
   * A streamed generation: yields each event's text; returns the whole. Opening may be retried
   * (nothing delivered yet); a failure after that ends the stream with an error, never a retry.
   */
  private async *events(path: string, body: Record<string, unknown>, what: string): AsyncGenerator<string, Generated> {
    const stream = await this.graph.endpoint.stream({
      method: 'POST',
      path,
      body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      repeatable: true,
      what,
    });
    let text = '';
    let chunks = 0;
    let finishReason: string | undefined;
    let usage: TextUsage | undefined;
    let done = false;
    try {
      for await (const event of sseData(stream.chunks)) {
        if (event.data === '[DONE]') {
          done = true;
          break;
        }
        const json = parseJson<CompletionBody>(event.data, `${what}: event`);
        if (event.event === 'error' || json.error !== undefined) {
          throw new NnError('runtime-error', `${what}: the server reported an error mid-stream: ${typeof json.error === 'string' ? json.error : JSON.stringify(json.error ?? json)}`);
        }
        if (json.usage) usage = usageOf(json, { inputTokens: 0, outputTokens: chunks });
        const choice = json.choices?.[0];
        if (!choice) continue;
        if (choice.finish_reason) finishReason = choice.finish_reason;
        const piece = choiceText(choice);
        if (!piece) continue;
        chunks++;
        text += piece;
        yield piece;
      }
    } finally {
      stream.close();
    }
    if (!done && finishReason === undefined) {
      throw new NnError('runtime-error', `${what}: the stream ended before the generation finished (${chunks} chunks received); the server or the network cut it`);
    }
    return { text, usage: usage ?? { inputTokens: 0, outputTokens: chunks }, finishReason };
  }

  private async embed(prompt: string): Promise<NamedTensor[]> {
    const path = '/v1/embeddings';
    const what = `embedding with "${this.graph.model}" at ${this.graph.endpoint.describe(path)}`;
    const body = JSON.stringify({ model: this.graph.model, input: prompt, encoding_format: 'float' });
    const reply = await this.graph.endpoint.call({ method: 'POST', path, body, headers: { 'content-type': 'application/json' }, repeatable: true, what });
    const json = parseJson<{ data?: Array<{ embedding?: unknown }>; usage?: { prompt_tokens?: number } }>(reply.body.toString(), what);
    const vector = json.data?.[0]?.embedding;
    if (!Array.isArray(vector) || !vector.every((v) => typeof v === 'number')) throw new NnError('runtime-error', `${what}: the response has no embedding vector`);
    const values = Float32Array.from(vector as number[]);
    const [, metadataByIndex, metadata] = textOutputs('', { inputTokens: json.usage?.prompt_tokens ?? 0, outputTokens: 0 });
    return [
      { name: '0', tensor: jsonTensor({ n_embedding: values.length, embedding: Array.from(values) }) },
      metadataByIndex!,
      metadata!,
      { name: 'embedding', tensor: tensorFrom('FP32', [values.length], values) },
    ];
  }
}
