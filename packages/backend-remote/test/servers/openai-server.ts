/**
 * A minimal OpenAI-compatible server for tests, backed by node-llama-cpp called directly (one
 * thread) on a GGUF file: /v1/models, /v1/completions and /v1/chat/completions (whole or streamed
 * as server-sent events with usage), /v1/embeddings. Sampling follows the request fields, with the
 * llama.cpp server's extensions top_k, min_p and repeat_penalty; response_format json_schema
 * becomes a grammar. Requests are recorded for comparison with the official client's.
 */
import type { ServerResponse } from 'node:http';
import { getLlama, LlamaChatSession, LlamaCompletion, type ChatHistoryItem, type LlamaModel, type Token } from 'node-llama-cpp';
import { sendJson, startServer, type Recorded, type TestServer } from './http-server.js';

interface Body {
  model?: string;
  prompt?: string;
  messages?: Array<{ role: string; content: string }>;
  input?: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  seed?: number;
  repeat_penalty?: number;
  stop?: string | string[];
  stream?: boolean;
  response_format?: { type: string; json_schema?: { schema: object } };
}

// Room for a chat template's system prompt (the tiny model stretches past its 256 trained tokens, as backend-llama allows).
const CONTEXT = 1024;

export async function startOpenAiServer(modelPath: string, name = 'tiny'): Promise<TestServer & { model: LlamaModel }> {
  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  // One request at a time, like a one-slot llama.cpp server: the machine has few cores.
  let queue: Promise<unknown> = Promise.resolve();

  const sampling = async (body: Body) => ({
    temperature: body.temperature ?? 0.8,
    topK: body.top_k ?? 40,
    topP: body.top_p ?? 0.95,
    minP: body.min_p ?? 0.05,
    seed: body.seed,
    repeatPenalty: (body.repeat_penalty ?? 1.1) === 1 ? (false as const) : { penalty: body.repeat_penalty ?? 1.1, lastTokens: 64 },
    grammar: body.response_format?.type === 'json_schema' ? await llama.createGrammarForJsonSchema(body.response_format.json_schema!.schema as never) : undefined,
  });

  async function generate(request: Recorded, body: Body, res: ServerResponse): Promise<void> {
    const chat = request.path === '/v1/chat/completions';
    const stops = body.stop === undefined ? [] : Array.isArray(body.stop) ? body.stop : [body.stop];
    const context = await model.createContext({ contextSize: CONTEXT, threads: 1, sequences: 1 });
    const controller = new AbortController();
    let text = '';
    let sent = 0;
    let tokens = 0;
    let stopped = false;
    const object = chat ? 'chat.completion' : 'text_completion';
    const chunk = (piece: string, finish: string | null) =>
      chat ? { object: `${object}.chunk`, model: name, choices: [{ index: 0, delta: { content: piece }, finish_reason: finish }] } : { object, model: name, choices: [{ index: 0, text: piece, finish_reason: finish }] };
    const write = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\n\n`);
    if (body.stream) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // Text is matched against the stop strings as printed, and never sent past one.
    const onTextChunk = (piece: string) => {
      if (stopped) return;
      text += piece;
      const at = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0).sort((a, b) => a - b)[0];
      if (at !== undefined) {
        text = text.slice(0, at);
        stopped = true;
        controller.abort();
      }
      const safe = stopped ? text.length : text.length - Math.max(0, ...stops.map((s) => s.length - 1));
      if (body.stream && safe > sent) write(chunk(text.slice(sent, safe), null));
      sent = Math.max(sent, safe);
    };
    const options = { ...(await sampling(body)), maxTokens: body.max_tokens, signal: controller.signal, stopOnAbortSignal: true, onTextChunk, onToken: (t: Token[]) => (tokens += t.length) };
    let promptTokens: number;
    let stopReason: string;
    try {
      if (chat) {
        const session = new LlamaChatSession({ contextSequence: context.getSequence() });
        const history: ChatHistoryItem[] = session.getChatHistory();
        const messages = body.messages ?? [];
        for (const m of messages.slice(0, -1)) history.push(m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] });
        session.setChatHistory(history);
        const last = messages.at(-1)?.content ?? '';
        const state = session.chatWrapper.generateContextState({ chatHistory: [...history, { type: 'user', text: last }, { type: 'model', response: [] }] });
        promptTokens = state.contextText.tokenize(model.tokenizer).length;
        stopReason = (await session.promptWithMeta(last, options)).stopReason;
      } else {
        // As llama.cpp's server tokenizes a prompt: special tokens parsed, BOS where the model wants it.
        const input = model.tokenize(body.prompt ?? '', true);
        const bos = model.tokens.shouldPrependBosToken && input[0] !== model.tokens.bos ? 1 : 0;
        promptTokens = input.length + bos;
        stopReason = (await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletionWithMeta(input, options)).metadata.stopReason;
      }
    } finally {
      await context.dispose();
    }
    if (sent < text.length && body.stream) write(chunk(text.slice(sent), null));
    const finish = stopReason === 'maxTokens' && !stopped ? 'length' : 'stop';
    const usage = { prompt_tokens: promptTokens, completion_tokens: tokens, total_tokens: promptTokens + tokens };
    if (body.stream) {
      write(chat ? { object: `${object}.chunk`, model: name, choices: [{ index: 0, delta: {}, finish_reason: finish }] } : chunk('', finish));
      write({ object: chat ? `${object}.chunk` : object, model: name, choices: [], usage });
      res.end('data: [DONE]\n\n');
    } else {
      const choice = chat ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: finish } : { index: 0, text, finish_reason: finish };
      sendJson(res, 200, { id: 'cmpl-test', object, model: name, choices: [choice], usage });
    }
  }

  async function embed(body: Body, res: ServerResponse): Promise<void> {
    const context = await model.createEmbeddingContext({ contextSize: CONTEXT, threads: 1 });
    try {
      const input = body.input ?? '';
      const { vector } = await context.getEmbeddingFor(input);
      sendJson(res, 200, { object: 'list', model: name, data: [{ object: 'embedding', index: 0, embedding: Array.from(vector) }], usage: { prompt_tokens: context.calculateInputLength(input), total_tokens: 0 } });
    } finally {
      await context.dispose();
    }
  }

  const server = await startServer((request, res) => {
    if (request.method === 'GET' && request.path === '/v1/models') return sendJson(res, 200, { object: 'list', data: [{ id: name, object: 'model', owned_by: 'test' }] });
    if (request.method !== 'POST') return sendJson(res, 404, { error: { message: `no route ${request.method} ${request.path}` } });
    const body = JSON.parse(request.body.toString()) as Body;
    if (body.model !== name) return sendJson(res, 404, { error: { message: `The model \`${body.model}\` does not exist.`, type: 'invalid_request_error' } });
    const run = request.path === '/v1/embeddings' ? () => embed(body, res) : ['/v1/completions', '/v1/chat/completions'].includes(request.path) ? () => generate(request, body, res) : undefined;
    if (!run) return sendJson(res, 404, { error: { message: `no route ${request.path}` } });
    const done = queue.then(run);
    queue = done.catch(() => {});
    return done;
  });
  return { ...server, model, close: async () => { await server.close(); await model.dispose(); } };
}
