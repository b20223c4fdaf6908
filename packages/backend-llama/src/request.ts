/**
 * A compute's inputs for the llama backend: the text contract's `prompt` (index 0) and `metadata`
 * (index 1), or instead of the prompt `messages` (index 2): a whole conversation as a JSON list of
 * `{"role", "content"}` (OpenAI's chat roles), rendered through the model's chat template.
 */
import { metadataObject, NnError, readInputs, tensorText, TEXT_INPUTS, type NamedTensor } from '@wacs/core/backend';
import type { ChatHistoryItem } from 'node-llama-cpp';

const LLAMA_INPUTS = {
  ...TEXT_INPUTS,
  messages: { index: 2, types: ['U8'], what: 'a JSON list of chat messages {"role", "content"}' },
} as const;

export interface LlamaRequest {
  prompt?: string;
  /** The conversation in node-llama-cpp's terms, ending with the user message to answer. */
  messages?: ChatHistoryItem[];
  metadata?: Record<string, unknown>;
}

function invalid(message: string): NnError {
  return new NnError('invalid-argument', `messages: ${message}`);
}

/** OpenAI-style messages as node-llama-cpp's chat history; the last one must be the user's. */
export function chatHistory(value: unknown): ChatHistoryItem[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('expected a non-empty JSON list of {"role", "content"}');
  const history = value.map((message: unknown, at): ChatHistoryItem => {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (typeof content !== 'string') throw invalid(`[${at}].content must be a string`);
    switch (role) {
      case 'system':
      case 'developer':
        return { type: 'system', text: content };
      case 'user':
        return { type: 'user', text: content };
      case 'assistant':
        return { type: 'model', response: [content] };
      default:
        throw invalid(`[${at}].role must be system, developer, user or assistant, got ${JSON.stringify(role)}`);
    }
  });
  if (history.at(-1)!.type !== 'user') throw invalid('the last message must be the user\'s (the reply follows it)');
  return history;
}

/** Reads the inputs: exactly one of `prompt` and `messages` (unless the prompt is optional). */
export function readLlamaRequest(inputs: readonly NamedTensor[], how?: { promptOptional: true }): LlamaRequest {
  const { roles } = readInputs(inputs, LLAMA_INPUTS, { backend: 'llama' });
  if (roles.prompt && roles.messages) throw new NnError('invalid-argument', 'give a "prompt" or "messages" input, not both');
  if (!roles.prompt && !roles.messages && !how?.promptOptional) {
    throw new NnError('invalid-argument', 'no prompt: pass the text as a U8 tensor named "prompt" (index 0), or a conversation as "messages" (index 2)');
  }
  const request: LlamaRequest = {};
  if (roles.prompt) request.prompt = tensorText(roles.prompt);
  if (roles.messages) {
    let list: unknown;
    try {
      list = JSON.parse(tensorText(roles.messages));
    } catch (e) {
      throw new NnError('invalid-encoding', `the messages input is not valid JSON: ${(e as Error).message}`);
    }
    request.messages = chatHistory(list);
  }
  if (roles.metadata) request.metadata = metadataObject(roles.metadata);
  return request;
}
