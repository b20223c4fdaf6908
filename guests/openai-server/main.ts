// openai-server: the OpenAI API over wasi:nn, a wasi:http service for `wacs serve` with GGUF models
// (@wacs/backend-llama) registered by name:
//
//   wacs serve openai-server.wasm --model tiny=./model.gguf --env OPENAI_MODELS=tiny
//
//   POST /v1/chat/completions   the conversation (system, user and assistant messages) through the
//                               model's chat template; stream: true as server-sent events
//                               (choices[].delta, then data: [DONE])
//   POST /v1/completions        a raw text completion
//   POST /v1/embeddings         one vector per input string (float or base64)
//   GET  /v1/models[/{id}]      the names in OPENAI_MODELS (wasi:nn cannot list the host's models)
//
// Sampling: max_tokens, temperature, top_p, seed, stop (up to 4 sequences), presence/frequency_penalty,
// response_format (json_object or json_schema, through the backend's grammar). Errors are OpenAI's
// error JSON: 400 for a bad request, 404 for an unknown model or route.
//
// stream: true sends each chunk of text as the backend generates it, through wacs's streaming step
// for components (a compute with a 'wacs:stream' input; see STREAM_INPUT in @wacs/core).
//
// A chat's messages go to the backend whole, as its `messages` input (JSON {role, content} list).
import type { IncomingRequest, ResponseOutparam } from 'wasi:http/types@0.2.3';
import { bodyText, drop, readRequest, respondJson, ResponseWriter, type Request } from '../lib/http.js';
import { env, loadByName, Tensor, text, textTensor, values, type Graph } from '../lib/nn.js';

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

/** OpenAI's limit on stop sequences per request. */
const MAX_STOPS = 4;

function badRequest(message: string, param: string | null = null): never {
  throw new ApiError(400, message, 'invalid_request_error', param);
}

function parseBody(request: Request): Json {
  let body: unknown;
  try {
    body = JSON.parse(bodyText(request));
  } catch {
    badRequest('the request body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) badRequest('the request body must be a JSON object');
  return body as Json;
}

function requiredString(body: Json, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') badRequest(`'${key}' is required and must be a string`, key);
  return value;
}

function optionalNumber(body: Json, key: string, min: number, max: number, integer = false): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    badRequest(`'${key}' must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, key);
  }
  return value;
}

/** The wasi:nn error code of a failed call, if it was one. */
function nnCode(e: unknown): string | undefined {
  const payload = (e as { payload?: { code?: () => string } }).payload;
  return typeof payload?.code === 'function' ? payload.code() : undefined;
}

function nnMessage(e: unknown): string {
  const payload = (e as { payload?: { data?: () => string } }).payload;
  return typeof payload?.data === 'function' ? payload.data() : String(e instanceof Error ? e.message : e);
}

/** Backend errors in OpenAI's terms: a bad option is the client's fault, the rest is the server's. */
function nnError(e: unknown, param: string | null = null): ApiError {
  const code = nnCode(e);
  if (code === 'invalid-argument' || code === 'too-large') return new ApiError(400, nnMessage(e), 'invalid_request_error', param);
  return new ApiError(500, nnMessage(e), 'server_error');
}

function loadModel(name: string): Graph {
  try {
    return loadByName(name);
  } catch (e) {
    if (nnCode(e) === 'not-found') throw new ApiError(404, `The model '${name}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
    throw nnError(e, 'model');
  }
}

interface Generated {
  text: string;
  promptTokens: number;
  completionTokens: number;
}

/** What a generation reads: a raw prompt, or a conversation as the backend's `messages` input. */
type TextInput = ['prompt' | 'messages', Tensor];

/** One compute: the prompt and the backend options in, the text and token counts out. */
function generate(model: string, input: TextInput, options: Json): Generated {
  const graph = loadModel(model);
  let outputs: Map<string, Tensor>;
  try {
    const context = graph.initExecutionContext();
    try {
      outputs = new Map(context.compute([input, ['metadata', textTensor(JSON.stringify(options))]]));
    } finally {
      drop(context);
    }
  } catch (e) {
    throw nnError(e);
  } finally {
    drop(graph); // with --reuse-instances the instance lives on: give the host its resources back now
  }
  const usage = JSON.parse(text(outputs.get('metadata')!)) as { input_tokens: number; output_tokens: number };
  return { text: text(outputs.get('0')!), promptTokens: usage.input_tokens, completionTokens: usage.output_tokens };
}

/** wacs's streaming step for components (see STREAM_INPUT in @wacs/core): one chunk per compute. */
const STREAM_INPUT = 'wacs:stream';
const NEXT = new TextEncoder().encode('next');
const NEXT_DIMS = new Uint32Array([NEXT.length]);

/** The input asking for the next step (compute takes its tensors, so each step gets a new one of the same bytes). */
function nextStep(): [string, Tensor] {
  return [STREAM_INPUT, new Tensor(NEXT_DIMS, 'U8', NEXT)];
}

/**
 * Generates as a stream: `onPiece` gets each chunk of text as the backend produces it (the client
 * sees it then); returns the whole text and the token counts of the last step. Per step only the
 * text is read: StarlingMonkey interprets the guest, and every call and conversion costs there.
 */
function generateStreaming(model: string, input: TextInput, options: Json, onPiece: (piece: string) => void): Generated {
  const graph = loadModel(model);
  const generated: Generated = { text: '', promptTokens: 0, completionTokens: 0 };
  try {
    const context = graph.initExecutionContext();
    try {
      let inputs: Array<[string, Tensor]> = [input, ['metadata', textTensor(JSON.stringify(options))], nextStep()];
      let counts: Tensor | undefined;
      for (;;) {
        const outputs = context.compute(inputs);
        if (outputs.length === 0) break;
        let piece = '';
        for (let i = 0; i < outputs.length; i++) {
          const [name, tensor] = outputs[i]!;
          if (name === '0') piece = text(tensor);
          else if (name === 'metadata') counts = tensor;
        }
        generated.text += piece;
        if (piece) onPiece(piece);
        inputs = [nextStep()];
      }
      if (counts) {
        const usage = JSON.parse(text(counts)) as { input_tokens: number; output_tokens: number };
        generated.promptTokens = usage.input_tokens;
        generated.completionTokens = usage.output_tokens;
      }
    } finally {
      drop(context);
    }
  } catch (e) {
    throw nnError(e);
  } finally {
    drop(graph);
  }
  return generated;
}

/** OpenAI's sampling fields as llama backend options (OpenAI applies no top-k, min-p or repeat penalty). */
function samplingOptions(body: Json): { options: Json; maxTokens?: number } {
  if (body.n !== undefined && body.n !== 1) badRequest("only 'n': 1 is supported", 'n');
  const maxTokens = optionalNumber(body, 'max_completion_tokens', 1, 1 << 20, true) ?? optionalNumber(body, 'max_tokens', 1, 1 << 20, true);
  const options: Json = {
    temp: optionalNumber(body, 'temperature', 0, 2) ?? 1,
    'top-p': optionalNumber(body, 'top_p', 0, 1) ?? 1,
    'top-k': 0,
    'min-p': 0,
    'repeat-penalty': 1,
    'n-predict': maxTokens ?? -1,
  };
  const seed = optionalNumber(body, 'seed', 0, 0xffffffff, true);
  if (seed !== undefined) options.seed = seed;
  const presence = optionalNumber(body, 'presence_penalty', -2, 2);
  if (presence !== undefined) options['presence-penalty'] = presence;
  const frequency = optionalNumber(body, 'frequency_penalty', -2, 2);
  if (frequency !== undefined) options['frequency-penalty'] = frequency;
  const stop = body.stop;
  if (stop !== undefined && stop !== null) {
    const stops: unknown[] = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : badRequest("'stop' must be a string or an array of strings", 'stop');
    if (stops.length > MAX_STOPS) badRequest(`'stop' takes at most ${MAX_STOPS} sequences, got ${stops.length}`, 'stop');
    for (let i = 0; i < stops.length; i++) {
      if (typeof stops[i] !== 'string' || stops[i] === '') badRequest("each 'stop' sequence must be a non-empty string", 'stop');
    }
    if (stops.length > 0) options['reverse-prompt'] = stops;
  }
  const format = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (format !== undefined && format !== null) {
    if (format.type === 'json_object') options['json-schema'] = { type: 'object' };
    else if (format.type === 'json_schema') {
      if (!format.json_schema || typeof format.json_schema.schema !== 'object') badRequest("'response_format.json_schema.schema' must be a JSON schema object", 'response_format');
      options['json-schema'] = format.json_schema.schema;
    } else if (format.type !== 'text') badRequest("'response_format.type' must be text, json_object or json_schema", 'response_format');
  }
  return { options, maxTokens };
}

/** A reply that stopped because it reached max_tokens is cut off ('length'); otherwise it ended ('stop'). */
function finishReason(generated: Generated, maxTokens: number | undefined): string {
  return maxTokens !== undefined && generated.completionTokens >= maxTokens ? 'length' : 'stop';
}

function usage(generated: Generated): Json {
  return { prompt_tokens: generated.promptTokens, completion_tokens: generated.completionTokens, total_tokens: generated.promptTokens + generated.completionTokens };
}

function newId(prefix: string): string {
  let id = prefix;
  for (let i = 0; i < 24; i++) id += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)];
  return id;
}

/** The text of a message's content: a string, or text parts. */
function contentText(content: unknown, at: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: { type?: string; text?: unknown }) => {
        if (part?.type !== 'text' || typeof part.text !== 'string') badRequest(`messages[${at}].content: only text parts are supported`, 'messages');
        return part.text;
      })
      .join('');
  }
  return badRequest(`messages[${at}].content must be a string or an array of text parts`, 'messages');
}

/** The conversation as the backend's `messages` input: text contents, ending with the user's message. */
function chatMessages(body: Json): TextInput {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) badRequest("'messages' must be a non-empty array", 'messages');
  const list = messages.map((m: { role?: unknown; content?: unknown }, i) => {
    if (!m || typeof m !== 'object' || !['system', 'developer', 'user', 'assistant'].includes(m.role as string)) {
      badRequest(`messages[${i}].role must be system, developer, user or assistant (tool calls are not supported)`, 'messages');
    }
    return { role: m.role as string, content: contentText(m.content, i) };
  });
  if (list.at(-1)!.role !== 'user') badRequest('the last message must be the user\'s: the reply follows it', 'messages');
  return ['messages', textTensor(JSON.stringify(list))];
}

/** Server-sent events: one `data:` line per event, flushed to the client as written. */
class EventStream {
  private readonly writer: ResponseWriter;
  constructor(outparam: ResponseOutparam) {
    this.writer = new ResponseWriter(outparam, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  }
  send(event: Json | '[DONE]'): void {
    this.writer.write(`data: ${event === '[DONE]' ? event : JSON.stringify(event)}\n\n`);
  }
  /**
   * A sender of events that differ only in one string, `event(piece)`: the JSON around the piece is
   * made once, where building and stringifying the whole event for every token cost about as much as
   * the rest of the token's work in the guest.
   */
  pieces(event: (piece: string) => Json): (piece: string) => void {
    const mark = '\u0000piece\u0000';
    const [head, tail] = JSON.stringify(event(mark)).split(JSON.stringify(mark)) as [string, string];
    return (piece) => this.writer.write(`data: ${head}${JSON.stringify(piece)}${tail}\n\n`);
  }
  end(): void {
    this.writer.end();
  }
}

function chatCompletions(request: Request, outparam: ResponseOutparam): void {
  const body = parseBody(request);
  const model = requiredString(body, 'model');
  const conversation = chatMessages(body);
  const { options, maxTokens } = samplingOptions(body);
  const id = newId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  if (body.stream !== true) {
    const generated = generate(model, conversation, options);
    return respondJson(outparam, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: generated.text, refusal: null }, logprobs: null, finish_reason: finishReason(generated, maxTokens) }],
      usage: usage(generated),
    });
  }
  // The model is loaded (an unknown one is a 404) before the event stream starts.
  drop(loadModel(model));
  const events = new EventStream(outparam);
  const chunk = (delta: Json, finishReason: string | null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  events.send(chunk({ role: 'assistant', content: '' }, null));
  const generated = streamOrError(events, () => generateStreaming(model, conversation, options, events.pieces((piece) => chunk({ content: piece }, null))));
  if (!generated) return;
  events.send(chunk({}, finishReason(generated, maxTokens)));
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
    events.send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage(generated) });
  }
  events.send('[DONE]');
  events.end();
}

/** Runs a streamed generation; a failure once the stream has started is sent as an error event. */
function streamOrError(events: EventStream, run: () => Generated): Generated | undefined {
  try {
    return run();
  } catch (e) {
    const error = e instanceof ApiError ? e : new ApiError(500, String(e), 'server_error');
    events.send({ error: { message: error.message, type: error.type, param: error.param, code: error.code } });
    events.end();
    return undefined;
  }
}

function completions(request: Request, outparam: ResponseOutparam): void {
  const body = parseBody(request);
  const model = requiredString(body, 'model');
  const raw = Array.isArray(body.prompt) && body.prompt.length === 1 ? body.prompt[0] : body.prompt;
  if (typeof raw !== 'string') badRequest("'prompt' must be a string (one prompt per request)", 'prompt');
  const { options, maxTokens } = samplingOptions(body);
  const id = newId('cmpl-');
  const created = Math.floor(Date.now() / 1000);
  if (body.stream !== true) {
    const generated = generate(model, ['prompt', textTensor(raw)], { ...options, chat: false });
    return respondJson(outparam, 200, {
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ index: 0, text: generated.text, logprobs: null, finish_reason: finishReason(generated, maxTokens) }],
      usage: usage(generated),
    });
  }
  drop(loadModel(model));
  const events = new EventStream(outparam);
  const chunk = (piece: string, finishReason: string | null) => ({ id, object: 'text_completion', created, model, choices: [{ index: 0, text: piece, logprobs: null, finish_reason: finishReason }] });
  const generated = streamOrError(events, () => generateStreaming(model, ['prompt', textTensor(raw)], { ...options, chat: false }, events.pieces((piece) => chunk(piece, null))));
  if (!generated) return;
  events.send(chunk('', finishReason(generated, maxTokens)));
  events.send('[DONE]');
  events.end();
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63]! : '=';
  }
  return out;
}

function embeddings(request: Request, outparam: ResponseOutparam): void {
  const body = parseBody(request);
  const model = requiredString(body, 'model');
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((i) => typeof i !== 'string')) {
    badRequest("'input' must be a string or a non-empty array of strings (token arrays are not supported)", 'input');
  }
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') badRequest("'encoding_format' must be float or base64", 'encoding_format');
  const graph = loadModel(model);
  let promptTokens = 0;
  const data = (inputs as string[]).map((input, index) => {
    let outputs: Map<string, Tensor>;
    try {
      const context = graph.initExecutionContext();
      try {
        outputs = new Map(context.compute([['prompt', textTensor(input)], ['metadata', textTensor(JSON.stringify({ embedding: true }))]]));
      } finally {
        drop(context);
      }
    } catch (e) {
      throw nnError(e, 'input');
    }
    promptTokens += (JSON.parse(text(outputs.get('metadata')!)) as { input_tokens: number }).input_tokens;
    const vector = outputs.get('embedding')!;
    return { object: 'embedding', index, embedding: format === 'base64' ? base64(vector.data()) : Array.from(values(vector) as Float32Array) };
  });
  drop(graph);
  respondJson(outparam, 200, { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

function modelNames(): string[] {
  return (env('OPENAI_MODELS') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

function modelObject(id: string): Json {
  return { id, object: 'model', created: 0, owned_by: 'wacs' };
}

function route(request: Request, outparam: ResponseOutparam): void {
  const { method, path } = request;
  const expect = (wanted: string) => {
    if (method !== wanted) throw new ApiError(405, `${path} takes ${wanted}, not ${method}`);
  };
  if (path === '/v1/chat/completions') return expect('POST'), chatCompletions(request, outparam);
  if (path === '/v1/completions') return expect('POST'), completions(request, outparam);
  if (path === '/v1/embeddings') return expect('POST'), embeddings(request, outparam);
  if (path === '/v1/models') return expect('GET'), respondJson(outparam, 200, { object: 'list', data: modelNames().map(modelObject) });
  if (path.startsWith('/v1/models/')) {
    expect('GET');
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    if (!modelNames().includes(id)) throw new ApiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
    return respondJson(outparam, 200, modelObject(id));
  }
  throw new ApiError(404, `no route ${method} ${path}`, 'invalid_request_error', null, 'unknown_url');
}

export const incomingHandler = {
  handle(incoming: IncomingRequest, outparam: ResponseOutparam): void {
    const request = readRequest(incoming);
    try {
      route(request, outparam);
    } catch (e) {
      const error = e instanceof ApiError ? e : new ApiError(500, e instanceof Error ? e.message : String(e), 'server_error');
      respondJson(outparam, error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.code } });
    }
  },
};
