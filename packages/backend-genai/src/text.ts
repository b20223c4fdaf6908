/**
 * Text in and out of a GenAI folder: `tokenizer.json` (+ `tokenizer_config.json`) through
 * @huggingface/tokenizers, the chat template rendered with @huggingface/jinja, and an incremental
 * detokenizer for streaming.
 */
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { NnError } from '@wacs/core/backend';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ChatMessage {
  role: string;
  content: string;
}

async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    if (required) throw new NnError('not-found', `${path} is missing; text prompts need the model folder's tokenizer.json`);
    return undefined;
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new NnError('invalid-argument', `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A special token in tokenizer_config.json is a string or an AddedToken object. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** The chat template: tokenizer_config.json's `chat_template` (string or named list), or chat_template.jinja. */
async function chatTemplate(folder: string, config: Record<string, unknown>): Promise<string | undefined> {
  const value = config.chat_template;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as Array<{ name?: string; template?: string }>;
    return (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  try {
    return await readFile(join(folder, 'chat_template.jinja'), 'utf8');
  } catch {
    return undefined;
  }
}

export class TextCodec {
  private template?: Template;

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly config: Record<string, unknown>,
    private readonly templateSource: string | undefined,
  ) {}

  static async load(folder: string): Promise<TextCodec> {
    const tokenizerJson = (await readJson(join(folder, 'tokenizer.json'), true))!;
    const config = (await readJson(join(folder, 'tokenizer_config.json'), false)) ?? {};
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, config);
    } catch (e) {
      throw new NnError('invalid-argument', `tokenizer.json in ${folder} could not be loaded: ${(e as Error).message}`);
    }
    return new TextCodec(tokenizer, config, await chatTemplate(folder, config));
  }

  /** Token ids of a plain prompt, with the special tokens the tokenizer adds (e.g. BOS). */
  encode(text: string, addSpecialTokens = true): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[]): string {
    // The tokenizer refuses an empty list; nothing generated is an empty text.
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: true });
  }

  get hasChatTemplate(): boolean {
    return this.templateSource !== undefined;
  }

  /** Renders messages with the model's chat template, ready for the assistant's reply. */
  renderChat(messages: ChatMessage[]): string {
    if (!this.templateSource) {
      throw new NnError('unsupported-operation', 'this model has no chat template (tokenizer_config.json chat_template or chat_template.jinja); send a plain prompt instead');
    }
    try {
      this.template ??= new Template(this.templateSource);
      return this.template.render({
        messages,
        add_generation_prompt: true,
        bos_token: tokenText(this.config.bos_token) ?? '',
        eos_token: tokenText(this.config.eos_token) ?? '',
        pad_token: tokenText(this.config.pad_token) ?? '',
        unk_token: tokenText(this.config.unk_token) ?? '',
      });
    } catch (e) {
      throw new NnError('invalid-argument', `the chat template failed: ${(e as Error).message}`);
    }
  }

  /** Token ids of a chat: the template writes the special tokens itself, so the tokenizer adds none. */
  encodeChat(messages: ChatMessage[]): number[] {
    return this.encode(this.renderChat(messages), false);
  }

  stream(): TextStream {
    return new TextStream(this);
  }
}

/**
 * Turns tokens into text as they come: a token's text is emitted once it is complete (no
 * half-decoded UTF-8 sequence at the end), decoded together with the token before it so that
 * tokenizers which drop a leading space at the start of a decode still space words correctly.
 */
export class TextStream {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly codec: TextCodec) {}

  push(id: number): string {
    this.ids.push(id);
    const prefix = this.codec.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const text = this.codec.decode(this.ids.slice(this.prefixOffset));
    if (text.length > prefix.length && !text.endsWith('\uFFFD')) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return text.slice(prefix.length);
    }
    return '';
  }

  /** Whatever is still held back (an incomplete character at the very end). */
  flush(): string {
    const prefix = this.codec.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const text = this.codec.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return text.slice(prefix.length);
  }
}
