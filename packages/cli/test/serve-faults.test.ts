// wacs serve against clients and guests that misbehave, on loopback: malformed HTTP, bodies over
// --max-body on every POST route of the two serving guests, slow senders and a client that never
// reads, a guest that writes after finishing its response. After each, the server must answer the
// next request, with every instance back in the pool.
import { NnHost, startServer, type AccessRecord, type ServerOptions, type WacsServer } from '@wacs/core';
import { guest } from '@wacs/fixtures';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const quietHost = () => new NnHost(undefined, undefined, { log: () => {} });

async function serve(name: string, options: ServerOptions = {}): Promise<{ server: WacsServer; records: AccessRecord[] }> {
  const records: AccessRecord[] = [];
  const server = await startServer(new Uint8Array(readFileSync(guest(name))), quietHost(), { port: 0, log: 'off', onRequest: (r) => records.push(r), ...options });
  return { server, records };
}

/** Opens a raw connection, sends `bytes`, and resolves with everything the server sent until it closed. */
function raw(port: number, bytes: string | Buffer, options: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.setTimeout(options.timeoutMs ?? 10_000, () => {
      socket.destroy();
      reject(new Error(`the server neither answered nor closed within ${options.timeoutMs ?? 10_000} ms; got ${JSON.stringify(text)}`));
    });
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(text) : reject(e)));
  });
}

/** Waits until every instance is idle and ready again (none leaked by the fault). */
async function settled(server: WacsServer, ready: number): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const s = server.handler.stats();
    if (s.busy === 0 && s.queued === 0 && s.inFlight === 0 && s.ready === ready) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the pool did not settle: ${JSON.stringify(server.handler.stats())}`);
}

const statusLine = (response: string) => response.split('\r\n')[0];

describe('malformed HTTP never reaches a guest, and the server goes on', () => {
  let server: WacsServer;
  let records: AccessRecord[];
  beforeAll(async () => ({ server, records } = await serve('serve-probe', { instances: 2, spares: 0 })));
  afterAll(() => server.close());

  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['no request line', 'GARBAGE\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a header line without a colon', 'GET /hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a space before the colon', 'GET /hello HTTP/1.1\r\nHost : x\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['both content-length and transfer-encoding (request smuggling)', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['two different content-lengths', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde', /^HTTP\/1\.1 400 /],
    ['a chunk size that is not hex', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a negative content-length', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['an unknown HTTP version', 'GET /hello HTTP/9.9\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 (400|505) /],
    ['a control character in the path', 'GET /hel\x01lo HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['headers over 16 KiB', `GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ['binary noise', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256)), /^HTTP\/1\.1 400 /],
  ];

  it.each(cases)('%s: answered by the HTTP parser, then the connection closes', async (_name, bytes, status) => {
    const before = records.length;
    const answer = await raw(server.port, bytes);
    expect(statusLine(answer)).toMatch(status);
    // No guest saw it: a request whose headers parsed but whose body did not is logged as incomplete.
    expect(records.slice(before).map((r) => [r.status, r.outcome])).toEqual(records.length > before ? [[499, 'incomplete-request']] : []);
    expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    await settled(server, 2);
  });

  it('a connection closed in the middle of its headers or body is dropped quietly', async () => {
    for (const part of ['GET /hel', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part']) {
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.end(part));
        socket.resume(); // read the server's answer, so its end (and the close) is seen
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
    }
    expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    await settled(server, 2);
  });
});

describe('--max-body on every POST route of the serving guests', () => {
  const LIMIT = 4096;
  const oversized = 'x'.repeat(LIMIT + 1);

  it('openai-server: chat, completions and embeddings over the limit get 413 (an APIError in the openai client); the server goes on', async () => {
    const { server, records } = await serve('openai-server', { maxBodyBytes: LIMIT, instances: 1, spares: 0, env: { OPENAI_MODELS: 'tiny' } });
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const calls = [
        () => client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: oversized }] }),
        () => client.completions.create({ model: 'tiny', prompt: oversized }),
        () => client.embeddings.create({ model: 'tiny', input: oversized }),
      ];
      for (const call of calls) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OpenAI.APIError);
        expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
        expect((error as Error).message).toContain(`larger than the limit of ${LIMIT} bytes`);
      }
      expect(records.map((r) => [r.path, r.status, r.outcome])).toEqual([
        ['/v1/chat/completions', 413, 'body-too-large'],
        ['/v1/completions', 413, 'body-too-large'],
        ['/v1/embeddings', 413, 'body-too-large'],
      ]);
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(['tiny']);
      await settled(server, 1);
    } finally {
      await server.close();
    }
  });

  it('oip-server: an infer body over the limit gets 413, declared or chunked; one within it is the guest\'s to answer', async () => {
    const { server } = await serve('oip-server', { maxBodyBytes: LIMIT, instances: 1, spares: 0 });
    try {
      const infer = `${server.url}/v2/models/m/infer`;
      const big = JSON.stringify({ inputs: [{ name: 'x', shape: [3000], datatype: 'FP32', data: Array(3000).fill(1) }] });
      expect(big.length).toBeGreaterThan(LIMIT);
      expect((await fetch(infer, { method: 'POST', body: big })).status).toBe(413);
      const chunked = new ReadableStream({
        start(controller) {
          for (let at = 0; at < big.length; at += 1000) controller.enqueue(new TextEncoder().encode(big.slice(at, at + 1000)));
          controller.close();
        },
      });
      expect((await fetch(infer, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit)).status).toBe(413);
      // Within the limit, the guest answers (no model m is registered here: its 404).
      const small = await fetch(infer, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }) });
      expect(small.status).toBe(404);
      expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);
      await settled(server, 1);
    } finally {
      await server.close();
    }
  });
});

describe('slow clients cannot hold the server', () => {
  let server: WacsServer;
  let records: AccessRecord[];
  beforeAll(async () => ({ server, records } = await serve('serve-probe', { instances: 1, spares: 0, headersTimeoutMs: 1000, bodyTimeoutMs: 2000 })));
  afterAll(() => server.close());

  /** Sends `first` at once, then `text` a byte every `everyMs`, until the server closes; returns what it answered. */
  function drip(text: string, everyMs: number, first = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket: Socket = connect(server.port, '127.0.0.1', () => socket.write(first));
      let at = 0;
      let answer = '';
      const timer = setInterval(() => {
        if (at < text.length && !socket.destroyed) socket.write(text[at++]!);
      }, everyMs);
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('close', () => {
        clearInterval(timer);
        resolve(answer);
      });
      socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    });
  }

  it('headers sent a byte every 100 ms: 408 at --headers-timeout, while other requests are served at once', async () => {
    const slow = drip(`GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(200)}\r\n\r\n`, 100);
    await new Promise((r) => setTimeout(r, 300));
    // The one instance is not held by the slow client: its request never reached the pool.
    expect(server.handler.stats().busy).toBe(0);
    expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    expect(statusLine(await slow)).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a body sent a byte every 50 ms: the request is cut at --body-timeout without taking an instance', async () => {
    const before = records.length;
    const started = performance.now();
    const slow = drip('b'.repeat(500), 50, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n');
    await new Promise((r) => setTimeout(r, 500)); // headers are in, the body is trickling
    expect(server.handler.stats().busy).toBe(0);
    expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    const answer = await slow;
    // Cut at the 2 s body timeout (checked every second), long before the 25 s the body would take.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(answer === '' || /^HTTP\/1\.1 408 /.test(statusLine(answer)!)).toBe(true);
    // The slow request ended without a guest answering it (logged once the server saw the close).
    await vi.waitFor(() => expect(records.slice(before).find((r) => r.path === '/echo')).toMatchObject({ status: 499, outcome: 'incomplete-request' }));
    await settled(server, 1);
  });

  it('a client that never reads a large response does not keep the instance', async () => {
    const size = 4 * 2 ** 20;
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.pause(); // never reads: the response backs up in the socket buffers
    socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
    socket.write(Buffer.alloc(size, 0x61));
    // The guest finishes writing into the host, and its instance goes back to the pool.
    await settled(server, 1);
    expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    socket.destroy();
  });
});

describe('a guest that writes after finishing its response', () => {
  it('the client gets the finished response, the late write fails in the guest only, and serving goes on', async () => {
    const { server, records } = await serve('serve-probe', { instances: 1, spares: 0 });
    try {
      const r = await fetch(`${server.url}/write-after-finish`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('done');
      expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
      // The late write trapped the guest: its instance is replaced, its finished response stands.
      const record = records.find((x) => x.path === '/write-after-finish')!;
      expect([record.status, record.bytes, record.outcome]).toEqual([200, 4, 'trap']);
      expect(record.error).toMatch(/guest trapped/);
      await settled(server, 1);
    } finally {
      await server.close();
    }
  });
});
