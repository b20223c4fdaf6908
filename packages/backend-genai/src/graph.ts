/**
 * A GenAI model folder as a wasi:nn graph, and its execution contexts. The tensor contract:
 *
 *   prompt (U8, UTF-8)            → response (U8, UTF-8), output_ids (I64, the generated ids)
 *   input_ids + metadata generate → response, output_ids: generation from token ids
 *   input_ids (I64/I32)           → logits (FP32 [1, n, vocab]): one forward pass, no cache
 *   metadata (U8, JSON object)    optional: search options, "chat": true, "generate": true
 *
 * Preview1 guests name inputs by position: "0" is the prompt (U8) or the ids (I32/I64), "1" the
 * metadata. `stream` yields one step per token: response (the token's text) and output_ids ([id]).
 * Output 0 is always text (WasmEdge's GGML convention); it is empty for ids when the folder has no
 * tokenizer.json.
 */
import {
  metadataObject,
  NnError,
  readInputs,
  tensorFrom,
  tensorText,
  TEXT_INPUTS,
  type InputRole,
  tensorView,
  textTensor,
  type ExecutionContext,
  type Graph,
  type LoadRequest,
  type NamedTensor,
  type Tensor,
} from '@wacs/core/backend';
import { readGenaiConfig, type GenaiConfig } from './config.js';
import { allLogits, DecoderModel, type SessionOverrides } from './decoder.js';
import { checkPrompt, generate } from './generator.js';
import { genaiOptions, type GenaiOptions } from './options.js';
import { searchSettings, withSearchOptions, type SearchSettings } from './search.js';
import { Sequence } from './sequence.js';
import { TextCodec, type ChatMessage } from './text.js';

/** The inputs by role: preview1 guests give "0" (a prompt or ids, by type) and "1" (metadata). */
const INPUTS = {
  prompt: TEXT_INPUTS.prompt,
  input_ids: { index: 0, types: ['I64', 'I32'], what: 'token ids' },
  metadata: TEXT_INPUTS.metadata,
} as const satisfies Record<string, InputRole>;

export class GenaiGraph implements Graph {
  private codec?: Promise<TextCodec>;

  private constructor(
    readonly folder: string,
    readonly config: GenaiConfig,
    readonly model: DecoderModel,
    readonly settings: SearchSettings,
    /** Graph options that are compute defaults beyond the search (chat, generate). */
    readonly options: GenaiOptions,
  ) {}

  static async load(request: LoadRequest): Promise<GenaiGraph> {
    if (request.source.kind !== 'path') {
      throw new NnError('invalid-encoding', 'a GenAI model is a folder (genai_config.json, decoder ONNX, tokenizer.json); register it with --model name=<folder> and load it by name');
    }
    const folder = request.source.path;
    const config = await readGenaiConfig(folder);
    const options = genaiOptions.parseLoad(request).values;
    const settings = withSearchOptions(searchSettings(config.search), options);
    const overrides: SessionOverrides = options.threads !== undefined ? { threads: options.threads } : {};
    const model = await DecoderModel.load(folder, config, request.target, overrides);
    return new GenaiGraph(folder, config, model, settings, options);
  }

  /** The tokenizer, loaded on first use (id-only use needs none). */
  text(): Promise<TextCodec> {
    if (!this.codec) {
      this.codec = TextCodec.load(this.folder);
      this.codec.catch(() => (this.codec = undefined));
    }
    return this.codec;
  }

  createContext(): ExecutionContext {
    return new GenaiContext(this);
  }

  private disposed = false;

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.model.release();
  }
}

interface Request {
  prompt?: string;
  ids?: number[];
  chat: boolean;
  generate: boolean;
  settings: SearchSettings;
}

function idsOf(tensor: Tensor, name: string): number[] {
  const dims = tensor.dimensions;
  if (dims.length > 2 || (dims.length === 2 && dims[0] !== 1)) {
    throw new NnError('invalid-argument', `input "${name}" must be [n] or [1, n] (one sequence), got [${dims.join(', ')}]`);
  }
  return Array.from(tensorView(tensor) as Int32Array | BigInt64Array, Number);
}

function messagesOf(prompt: string): ChatMessage[] {
  let value: unknown;
  try {
    value = JSON.parse(prompt);
  } catch {
    // Not JSON: the prompt is the user's message.
    return [{ role: 'user', content: prompt }];
  }
  const list = Array.isArray(value) ? value : (value as { messages?: unknown } | null)?.messages;
  // JSON that is not a conversation ("42", "\"hi\"") is still just what the user typed.
  if (list === undefined) return [{ role: 'user', content: typeof value === 'string' ? value : prompt }];
  if (!Array.isArray(list) || !list.every((m) => m && typeof m === 'object' && typeof (m as ChatMessage).role === 'string' && typeof (m as ChatMessage).content === 'string')) {
    throw new NnError('invalid-argument', 'with "chat": true the prompt is a user message, or a JSON list of {"role", "content"} messages');
  }
  return list as ChatMessage[];
}

function generationOutputs(text: string, ids: number[]): NamedTensor[] {
  return [
    { name: 'response', tensor: textTensor(text) },
    { name: 'output_ids', tensor: tensorFrom('I64', [ids.length], BigInt64Array.from(ids, BigInt)) },
  ];
}

export class GenaiContext implements ExecutionContext {
  /** The last generation's sequence: its cache serves the next prompt that starts the same way. */
  private sequence?: Sequence;

  constructor(private readonly graph: GenaiGraph) {}

  /**
   * Generates with this context's sequence, kept for the next request afterwards. Taken while in
   * use, so an overlapping request on the same context starts a sequence of its own.
   */
  private async *tokens(promptIds: number[], settings: SearchSettings): AsyncGenerator<number, void> {
    const sequence = this.sequence ?? (await Sequence.start(this.graph.model));
    this.sequence = undefined;
    try {
      yield* generate(this.graph.model, promptIds, settings, sequence);
    } finally {
      this.sequence = sequence;
    }
  }

  private parse(inputs: NamedTensor[]): Request {
    const { roles, names } = readInputs(inputs, INPUTS, { backend: 'genai' });
    const prompt = roles.prompt && tensorText(roles.prompt);
    const ids = roles.input_ids && idsOf(roles.input_ids, names.input_ids!);
    if ((prompt === undefined) === (ids === undefined)) {
      throw new NnError('invalid-argument', 'genai: give exactly one of prompt (U8 text) or input_ids (I64/I32), with optional metadata (JSON)');
    }
    const metadata = roles.metadata ? genaiOptions.parse(metadataObject(roles.metadata), 'metadata').values : {};
    const options = { ...this.graph.options, ...metadata };
    const chat = options.chat ?? false;
    if (chat && prompt === undefined) throw new NnError('invalid-argument', 'metadata: chat applies to a text prompt, not to input_ids');
    return {
      prompt,
      ids,
      chat,
      generate: prompt !== undefined || (options.generate ?? false),
      settings: withSearchOptions(this.graph.settings, metadata),
    };
  }

  /** The tokenizer for turning generated ids into text; none for id-only use of a folder without one. */
  private async codecFor(request: Request): Promise<TextCodec | undefined> {
    if (request.prompt !== undefined) return this.graph.text();
    return this.graph.text().catch((e: unknown) => {
      if (e instanceof NnError && e.code === 'not-found') return undefined;
      throw e;
    });
  }

  private async promptIds(request: Request): Promise<number[]> {
    if (request.ids) return request.ids;
    const codec = await this.graph.text();
    return request.chat ? codec.encodeChat(messagesOf(request.prompt!)) : codec.encode(request.prompt!);
  }

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const request = this.parse(inputs);
    if (!request.generate) return this.forward(request.ids!);
    const promptIds = await this.promptIds(request);
    const codec = await this.codecFor(request);
    const generated: number[] = [];
    for await (const token of this.tokens(promptIds, request.settings)) generated.push(token);
    return generationOutputs(codec?.decode(generated) ?? '', generated);
  }

  /** One decoder run over the ids from position 0, returning every position's logits. */
  private async forward(ids: number[]): Promise<NamedTensor[]> {
    checkPrompt(this.graph.model, ids);
    const sequence = await Sequence.start(this.graph.model);
    const logits = await sequence.feed(ids);
    const values = allLogits(logits);
    return [{ name: 'logits', tensor: tensorFrom('FP32', [1, ids.length, this.graph.config.vocabSize], values) }];
  }

  async *stream(inputs: NamedTensor[]): AsyncGenerator<NamedTensor[], NamedTensor[]> {
    const request = this.parse(inputs);
    if (!request.generate) throw new NnError('invalid-argument', 'genai: streaming generates tokens; give a prompt, or input_ids with metadata {"generate": true}');
    const promptIds = await this.promptIds(request);
    const codec = await this.codecFor(request);
    const text = codec?.stream();
    const generated: number[] = [];
    for await (const token of this.tokens(promptIds, request.settings)) {
      generated.push(token);
      yield generationOutputs(text?.push(token) ?? '', [token]);
    }
    const rest = text?.flush();
    if (rest) yield generationOutputs(rest, []);
    return generationOutputs(codec?.decode(generated) ?? '', generated);
  }

  dispose(): void {}
}
