// Faults: a server in this process that misbehaves on cue (timeouts, 5xx, 429 with Retry-After,
// malformed JSON, cut and stalled event streams, huge bodies). Each must reach the guest as the
// documented wasi:nn error, within bounded time, and the same graph must serve the next request.
import { textTensor, tensorFrom, tensorText, tensorView, type Graph, type NamedTensor } from '@wacs/core';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { remoteBackend } from '../src/index.js';
import { sendJson, startServer, type Recorded, type TestServer } from './servers/http-server.js';

type Fault = (request: Recorded, res: ServerResponse) => void;

let server: TestServer;
/** What the next inference requests get, in order; then the good answer. */
let faults: Fault[] = [];

const METADATA = { name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] };

/** The good answer: y = 2x (OIP), or a two-chunk completion "Hello world" (OpenAI). */
function good(request: Recorded, res: ServerResponse): void {
  if (request.path.startsWith('/v2/')) {
    const x = (JSON.parse(request.body.toString()) as { inputs: Array<{ data: number[] }> }).inputs[0]!.data;
    return sendJson(res, 200, { outputs: [{ name: 'y', datatype: 'FP32', shape: [x.length], data: x.map((v) => 2 * v) }] });
  }
  const body = JSON.parse(request.body.toString()) as { stream?: boolean };
  if (!body.stream) return sendJson(res, 200, { choices: [{ text: 'Hello world', finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const text of ['Hello', ' world']) res.write(`data: ${JSON.stringify({ choices: [{ text, finish_reason: null }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ choices: [{ text: '', finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } })}\n\n`);
  res.end('data: [DONE]\n\n');
}

beforeAll(async () => {
  server = await startServer((request, res) => {
    if (request.path === '/v2/models/m/ready') return sendJson(res, 200, { ready: true });
    if (request.path === '/v2/models/notyet/ready') return sendJson(res, 200, { ready: false });
    if (request.path === '/v2/models/m') return sendJson(res, 200, METADATA);
    if (request.path === '/v1/models') return sendJson(res, 200, { data: [{ id: 'm' }] });
    const fault = faults.shift();
    (fault ?? good)(request, res);
  });
});
afterAll(() => server?.close());
beforeEach(() => {
  faults = [];
  server.requests.length = 0;
});

const FAST = { 'request-timeout-ms': 500, 'connect-timeout-ms': 500, retries: 2, 'max-retry-wait-ms': 2000 };

async function load(protocol: 'oip' | 'openai', options: Record<string, string | number> = {}, name = 'm'): Promise<Graph> {
  return remoteBackend.load({ source: { kind: 'path', path: server.url }, encoding: 'autodetect', target: 'auto', options: { protocol, ...FAST, ...options }, name });
}

const x = (): NamedTensor[] => [{ name: 'x', tensor: tensorFrom('FP32', [2], Float32Array.of(1.5, -2)) }];
const prompt = (): NamedTensor[] => [{ name: 'prompt', tensor: textTensor('Hi') }];
const infers = () => server.requests.filter((r) => r.path.endsWith('/infer') || r.path.startsWith('/v1/completions')).length;

/** The graph still serves: a good request after the fault gets the right answer. */
async function stillServes(graph: Graph): Promise<void> {
  const context = await graph.createContext();
  const [y] = await context.compute(x());
  expect(Array.from(tensorView(y!.tensor) as Float32Array)).toEqual([3, -4]);
}

function status(code: number, body: unknown, headers: Record<string, string> = {}): Fault {
  return (_request, res) => sendJson(res, code, body, headers);
}

describe('OIP faults', () => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await load('oip');
  });
  afterAll(() => graph?.dispose());

  it('a 500 is a runtime-error with the server\'s message, not retried', async () => {
    faults = [status(500, { error: 'CUDA out of memory' })];
    const context = await graph.createContext();
    await expect(context.compute(x())).rejects.toMatchObject({ name: 'NnError', code: 'runtime-error', message: expect.stringContaining('the server answered 500: CUDA out of memory') });
    expect(infers()).toBe(1);
    await stillServes(graph);
  });

  it('a 503 with Retry-After is retried after the time the server asked for', async () => {
    faults = [status(503, { error: 'warming up' }, { 'retry-after': '1' })];
    await stillServes(graph);
    const [first, second] = server.requests.filter((r) => r.path.endsWith('/infer'));
    // A lower bound only: the retry came no sooner than the second the server asked for.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('a 429 asking for longer than max-retry-wait-ms fails at once as busy', async () => {
    faults = [status(429, { error: 'rate limited' }, { 'retry-after': '3600' })];
    const context = await graph.createContext();
    await expect(context.compute(x())).rejects.toMatchObject({ code: 'runtime-error', reason: 'busy', message: expect.stringMatching(/429: rate limited \(busy; retry after 3600 s\).*not retried/) });
    expect(infers()).toBe(1);
    await stillServes(graph);
  });

  it('429s past the retries are busy', async () => {
    faults = [0, 1, 2].map(() => status(429, { error: 'slow down' }, { 'retry-after': '0' }));
    const context = await graph.createContext();
    await expect(context.compute(x())).rejects.toMatchObject({ reason: 'busy', message: expect.stringContaining('slow down') });
    expect(infers()).toBe(3);
    await stillServes(graph);
  });

  it('413 is too-large, 404 not-found, 400 invalid-argument, each with the server\'s message', async () => {
    const context = await graph.createContext();
    faults = [status(413, { error: 'payload over 1 MB' })];
    await expect(context.compute(x())).rejects.toMatchObject({ code: 'too-large', message: expect.stringContaining('payload over 1 MB') });
    faults = [status(404, { error: 'Model m is not found' })];
    await expect(context.compute(x())).rejects.toMatchObject({ code: 'not-found', reason: 'model-not-found' });
    faults = [status(400, { error: 'shape [2] does not match [3]' })];
    await expect(context.compute(x())).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('shape [2] does not match [3]') });
    await stillServes(graph);
  });

  it('malformed JSON is a runtime-error', async () => {
    faults = [(_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"outputs": [')];
    const context = await graph.createContext();
    await expect(context.compute(x())).rejects.toMatchObject({ code: 'runtime-error', message: expect.stringContaining('malformed JSON') });
    await stillServes(graph);
  });

  it('a server that never answers is a timeout after the retries, in bounded time', async () => {
    faults = [0, 1, 2].map(() => () => {});
    const context = await graph.createContext();
    await expect(context.compute(x())).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining('longer than 500 ms') });
    expect(infers()).toBe(3);
    await stillServes(graph);
  }, 15_000);

  it('a response past max-response-bytes is too-large, declared or streamed', async () => {
    const small = await load('oip', { 'max-response-bytes': 1 << 20 });
    const context = await small.createContext();
    faults = [(_r, res) => res.writeHead(200, { 'content-length': String(64 << 20) }).write(Buffer.alloc(1024))];
    await expect(context.compute(x())).rejects.toMatchObject({ code: 'too-large' });
    faults = [(_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 40; i++) res.write(Buffer.alloc(64 * 1024, 0x20));
      res.end();
    }];
    await expect(context.compute(x())).rejects.toMatchObject({ code: 'too-large', message: expect.stringContaining('max-response-bytes (1048576 bytes)') });
    await stillServes(small);
    await small.dispose();
  });

  it('a model that is not ready is busy at load', async () => {
    await expect(load('oip', {}, 'notyet')).rejects.toMatchObject({ code: 'runtime-error', reason: 'busy', message: expect.stringContaining('not ready') });
  });

  it('a closed port is a runtime-error naming the address, after the retries', async () => {
    const closed = await startServer(() => {});
    const url = closed.url;
    await closed.close();
    await expect(
      remoteBackend.load({ source: { kind: 'path', path: url }, encoding: 'autodetect', target: 'auto', options: { protocol: 'oip', ...FAST }, name: 'm' }),
    ).rejects.toMatchObject({ code: 'runtime-error', message: expect.stringContaining(`${url}/v2/models/m/ready: cannot reach the server`) });
  });
});

describe('OpenAI streaming faults', () => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await load('openai');
  });
  afterAll(() => graph?.dispose());

  async function drain(context: Awaited<ReturnType<Graph['createContext']>>): Promise<{ texts: string[]; error?: unknown }> {
    const steps = context.stream!(prompt());
    const texts: string[] = [];
    try {
      for (;;) {
        const step = await steps.next();
        if (step.done) return { texts };
        texts.push(tensorText(step.value[0]!.tensor));
      }
    } catch (error) {
      return { texts, error };
    }
  }

  it('streams the good answer', async () => {
    const context = await graph.createContext();
    expect(await drain(context)).toEqual({ texts: ['Hello', ' world'] });
  });

  it('a stream cut mid-generation ends with an error after the tokens that came, and is never retried', async () => {
    faults = [(_r, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ text: 'Hel', finish_reason: null }] })}\n\n`);
      setTimeout(() => res.socket?.destroy(), 50);
    }];
    const context = await graph.createContext();
    const { texts, error } = await drain(context);
    expect(texts).toEqual(['Hel']);
    expect(error).toMatchObject({ code: 'runtime-error', message: expect.stringMatching(/stream (broke|ended before the generation finished)/) });
    expect(infers()).toBe(1);
    expect(await drain(context)).toEqual({ texts: ['Hello', ' world'] });
  });

  it('a stream that ends cleanly without finishing is an error too', async () => {
    faults = [(_r, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ choices: [{ text: 'Hel', finish_reason: null }] })}\n\n`);
    }];
    const { error } = await drain(await graph.createContext());
    expect(error).toMatchObject({ code: 'runtime-error', message: expect.stringContaining('the stream ended before the generation finished (1 chunks received)') });
  });

  it('a stalled stream is a timeout, not a hang', async () => {
    faults = [(_r, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ text: 'Hel', finish_reason: null }] })}\n\n`);
    }];
    const { texts, error } = await drain(await graph.createContext());
    expect(texts).toEqual(['Hel']);
    expect(error).toMatchObject({ code: 'timeout', message: expect.stringContaining('the stream stalled: nothing for 500 ms') });
  });

  it('malformed event JSON and error events are runtime-errors with the server\'s message', async () => {
    faults = [(_r, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {"choices": [\n\n')];
    expect((await drain(await graph.createContext())).error).toMatchObject({ code: 'runtime-error', message: expect.stringContaining('malformed JSON') });
    faults = [(_r, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${JSON.stringify({ error: { message: 'slot crashed' } })}\n\n`)];
    expect((await drain(await graph.createContext())).error).toMatchObject({ code: 'runtime-error', message: expect.stringContaining('slot crashed') });
  });

  it('a 503 before any token is retried; the guest sees one clean stream', async () => {
    faults = [status(503, { error: { message: 'loading' } }, { 'retry-after': '0' })];
    expect(await drain(await graph.createContext())).toEqual({ texts: ['Hello', ' world'] });
    expect(infers()).toBe(2);
  });

  it('ending a stream early closes it, and the context computes afterwards', async () => {
    const context = await graph.createContext();
    const steps = context.stream!(prompt());
    expect(tensorText((await steps.next()).value[0]!.tensor)).toBe('Hello');
    await steps.return!(undefined as never);
    const outputs = await context.compute(prompt());
    expect(tensorText(outputs[0]!.tensor)).toBe('Hello world');
  });
});
