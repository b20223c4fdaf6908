// How wacs serve writes a guest's response. Oracle: a real Node HTTP server and fetch on loopback:
// the framing the client receives (Content-Length or chunked) and when each part arrives.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchedResponse } from '../src/serve/batched-response.js';

const text = (s: string) => new TextEncoder().encode(s);
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
let close: (() => void) | undefined;

/** A server whose one route hands the response to `guest`; returns its URL. */
async function serving(guest: (response: BatchedResponse, res: ServerResponse) => void): Promise<string> {
  const server = createServer((_, res) => guest(new BatchedResponse(res), res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => server.close();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

afterEach(() => close?.());

describe('BatchedResponse', () => {
  it('sends a response completed at once as one body with a Content-Length', async () => {
    const url = await serving((response) => {
      response.head(201, [['content-type', 'application/json'], ['connection', 'close'], ['x-a', '1']]);
      response.chunk(text('{"a":'));
      response.chunk(text('1}'));
      response.end();
    });
    const r = await fetch(url);
    expect(r.status).toBe(201);
    expect(r.headers.get('content-length')).toBe('7');
    expect(r.headers.get('transfer-encoding')).toBeNull();
    expect(r.headers.get('x-a')).toBe('1');
    expect(r.headers.get('connection')).not.toBe('close'); // the connection's headers are the host's
    expect(await r.text()).toBe('{"a":1}');
  });

  it('streams: the head, then each chunk, reach the client while the guest is still to send the rest', async () => {
    let release!: () => void;
    const later = new Promise<void>((r) => (release = r));
    const url = await serving((response) => {
      response.head(200, [['content-type', 'text/plain']]);
      void (async () => {
        await later; // the head goes out alone first
        response.chunk(text('first '));
        await tick(300);
        response.chunk(text('second'));
        response.end();
      })();
    });
    const r = await fetch(url); // resolves with the head, before any body exists
    expect(r.headers.get('transfer-encoding')).toBe('chunked');
    release();
    const reader = r.body!.getReader();
    const started = Date.now();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first ');
    expect(Date.now() - started).toBeLessThan(250); // not held back until the end
    let rest = '';
    for (let part = await reader.read(); !part.done; part = await reader.read()) rest += new TextDecoder().decode(part.value);
    expect(rest).toBe('second');
  });

  it('flush writes what is pending at once; nothing is written after the client has gone', async () => {
    const url = await serving((response, res) => {
      response.head(200, []);
      response.chunk(text('now'));
      response.flush();
      expect(res.headersSent).toBe(true);
      res.destroy();
      response.chunk(text('too late'));
      response.end();
    });
    await expect(fetch(url).then((r) => r.text())).rejects.toThrow();
  });
});
