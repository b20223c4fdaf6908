// wacs serve's runtime through its Node API: a real wasi:http guest (guests/serve-probe) in real
// workers, real HTTP on loopback, and backend-onnx for the guest's wasi:nn calls.
import onnx from '@wacs/backend-onnx';
import { BackendRegistry, ModelRegistry, NnHost, ServeSetupError, startServer, type AccessRecord, type ServerOptions, type WacsServer } from '@wacs/core';
import { guest, linearModel, repoRoot } from '@wacs/fixtures';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { GUEST_NICE } from '@wacs/core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const probe = () => new Uint8Array(readFileSync(guest('serve-probe')));

// y = x · W + b, computed by hand: the oracle for the guest's /nn route.
const W = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const B = [0.5, -1];
const linear = (row: number[]) => B.map((bias, j) => row.reduce((sum, v, k) => sum + v * W[k]![j]!, bias));

function onnxHost(models: Record<string, string> = {}): NnHost {
  const backends = new BackendRegistry();
  backends.register(onnx);
  const registry = new ModelRegistry();
  for (const [name, path] of Object.entries(models)) registry.add(name, { path });
  return new NnHost(backends, registry, { log: () => {} });
}

async function serve(options: ServerOptions = {}, host = new NnHost(undefined, undefined, { log: () => {} })): Promise<{ server: WacsServer; records: AccessRecord[] }> {
  const records: AccessRecord[] = [];
  const server = await startServer(probe(), host, { port: 0, log: 'off', onRequest: (r) => records.push(r), ...options });
  return { server, records };
}

/** Resolves once `condition` holds, polling; fails after `ms`. */
async function until(condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Requests `url` and closes the connection as the first bytes of the body arrive. */
function closeAfterFirstData(url: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request(url, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
}

/** Reads a response body chunk by chunk, with what had arrived at each read. */
async function chunks(response: Response): Promise<string[]> {
  const reader = response.body!.getReader();
  const out: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(new TextDecoder().decode(value));
  }
}

describe('wacs serve: requests, responses, isolation', () => {
  let server: WacsServer;
  let records: AccessRecord[];
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wacs-serve-'));
    writeFileSync(join(dir, 'lin.onnx'), linearModel(W, B));
    ({ server, records } = await serve({ instances: 2 }, onnxHost({ lin: join(dir, 'lin.onnx') })));
  });
  afterAll(() => server.close());

  it('answers a GET with what the guest wrote', async () => {
    const r = await fetch(`${server.url}/hello`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await r.text()).toBe('hello');
  });

  it('gives the guest the method, path and body, and sends its headers back', async () => {
    const body = JSON.stringify({ text: 'ünïcødé', n: [1, 2, 3] });
    const r = await fetch(`${server.url}/echo?x=1`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-method')).toBe('POST');
    expect(r.headers.get('x-path')).toBe('/echo');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(await r.text()).toBe(body);
  });

  it('the guest status and a 404 route pass through', async () => {
    const r = await fetch(`${server.url}/nope`);
    expect(r.status).toBe(404);
    expect(await r.text()).toBe('no route GET /nope');
  });

  it("serves the guest's wasi:nn calls from the host's shared model (values computed by hand)", async () => {
    const rows = [
      [1, 2, 3],
      [-1, 0.5, 2],
    ];
    const r = await fetch(`${server.url}/nn?model=lin`, { method: 'POST', body: JSON.stringify({ dims: [2, 3], data: rows.flat() }) });
    expect(r.status).toBe(200);
    const out = (await r.json()) as { dims: number[]; data: number[] };
    expect(out.dims).toEqual([2, 2]);
    out.data.forEach((v, i) => expect(v).toBeCloseTo(rows.flatMap(linear)[i]!, 5));
  });

  it('a wasi:nn error reaches the guest as an error it can answer with', async () => {
    const r = await fetch(`${server.url}/nn?model=missing`, { method: 'POST', body: JSON.stringify({ dims: [1, 3], data: [1, 2, 3] }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/not-found/);
  });

  it('gives every request a fresh instance by default (no state leaks between requests)', async () => {
    // More requests than workers (4 + 1 spare): workers serve again, with their instance put back.
    const counts = [];
    for (let i = 0; i < 12; i++) counts.push(await (await fetch(`${server.url}/count`)).text());
    expect(counts).toEqual(Array(12).fill('1'));
  });

  it('a request that grew its instance memory is followed by a fresh instance all the same', async () => {
    // A memory that grew cannot be put back (it does not shrink): that worker instantiates anew.
    const counts = [];
    for (let i = 0; i < 12; i++) counts.push(await (await fetch(`${server.url}/${i % 2 ? 'count' : 'alloc?mb=24'}`)).text());
    expect(counts).toEqual(Array(12).fill('1'));
  });

  it('streams: each chunk reaches the client while the guest is still writing', async () => {
    const r = await fetch(`${server.url}/stream?n=3&ms=400`);
    const got = await chunks(r);
    expect(got.join('')).toBe('chunk 0\nchunk 1\nchunk 2\n');
    // 400 ms between writes: the first read holds the first chunk alone, not the whole body.
    expect(got[0]).toBe('chunk 0\n');
    expect(got.length).toBeGreaterThanOrEqual(3);
  });

  it('a guest trap answers that request with 500 and the next requests are served', async () => {
    const [trapped, ok] = await Promise.all([fetch(`${server.url}/trap`), fetch(`${server.url}/hello`)]);
    expect(trapped.status).toBe(500);
    expect(((await trapped.json()) as { error: { message: string } }).error.message).toMatch(/guest trapped/);
    expect(await ok.text()).toBe('hello');
    expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    expect(records.some((r) => r.path === '/trap' && r.status === 500 && r.outcome === 'trap')).toBe(true);
  });

  it('a request body over --max-body gets 413, whether declared or streamed', async () => {
    const { server: small } = await serve({ maxBodyBytes: 1000, instances: 1, spares: 0 });
    try {
      const declared = await fetch(`${small.url}/echo`, { method: 'POST', body: 'x'.repeat(1001) });
      expect(declared.status).toBe(413);
      // A chunked body (no content-length) is cut off as it passes the limit.
      const stream = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(400)));
          controller.close();
        },
      });
      const streamed = await fetch(`${small.url}/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
      expect(streamed.status).toBe(413);
      const fits = await fetch(`${small.url}/echo`, { method: 'POST', body: 'z'.repeat(1000) });
      expect(await fits.text()).toBe('z'.repeat(1000));
    } finally {
      await small.close();
    }
  });
});

describe('wacs serve: limits and overload', () => {
  it('--reuse-instances keeps one instance (and its state) across requests', async () => {
    const { server } = await serve({ instances: 1, spares: 0, reuseInstances: true });
    try {
      const counts = [];
      for (let i = 0; i < 3; i++) counts.push(await (await fetch(`${server.url}/count`)).text());
      expect(counts).toEqual(['1', '2', '3']);
    } finally {
      await server.close();
    }
  });

  it('--max-memory: a request past the cap gets 500 saying so; the next request gets a fresh instance', async () => {
    const { server } = await serve({ instances: 1, spares: 0, maxMemoryBytes: 48 * 2 ** 20 });
    try {
      const over = await fetch(`${server.url}/alloc?mb=64`);
      expect(over.status).toBe(500);
      expect(((await over.json()) as { error: { message: string } }).error.message).toMatch(/ran out of memory.*--max-memory limit of 48 MiB/);
      await until(() => server.handler.stats().ready === 1, 60_000);
      expect(await (await fetch(`${server.url}/alloc?mb=8`)).text()).toBe('1');
      expect(await (await fetch(`${server.url}/count`)).text()).toBe('1');
    } finally {
      await server.close();
    }
  });

  it('a guest that never answers gets 504 at the deadline; its instance is replaced and serving goes on', async () => {
    const { server, records } = await serve({ instances: 1, spares: 0, requestTimeoutMs: 1500 });
    try {
      const hung = await fetch(`${server.url}/hang`);
      expect(hung.status).toBe(504);
      expect(((await hung.json()) as { error: { message: string } }).error.message).toMatch(/--request-timeout of 1.5 s/);
      // The killed instance is replaced in the background; on a loaded machine that can take longer
      // than this test's short deadline, so wait for the replacement rather than race it.
      await until(() => server.handler.stats().ready === 1, 60_000);
      expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
      expect(records[0]!.outcome).toBe('timeout');
    } finally {
      await server.close();
    }
  });

  it('beyond --instances requests queue, beyond --queue they get 503 with Retry-After', async () => {
    const { server } = await serve({ instances: 1, spares: 0, queue: 1 });
    try {
      const first = await fetch(`${server.url}/stream?n=2&ms=1500`); // busy until its last chunk
      const queued = fetch(`${server.url}/hello`);
      await new Promise((r) => setTimeout(r, 200));
      const refused = await fetch(`${server.url}/hello`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await chunks(first)).join('')).toBe('chunk 0\nchunk 1\n');
      const late = await queued;
      expect(late.status).toBe(200);
      expect(await late.text()).toBe('hello');
    } finally {
      await server.close();
    }
  });

  it('a client that disconnects mid-stream ends its guest; the server goes on', async () => {
    const { server, records } = await serve({ instances: 1, spares: 0 });
    try {
      await closeAfterFirstData(`${server.url}/stream?n=100&ms=100`);
      // The instance is ended rather than left writing 100 chunks: the next request is served at once.
      expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
      expect(records.find((r) => r.path === '/stream')?.outcome).toBe('client-closed');
    } finally {
      await server.close();
    }
  });

  it('a client that closes once it has read the whole reply does not cost the guest its instance', async () => {
    // The openai client closes at `data: [DONE]`, before the guest's own end of the body arrives.
    const { server, records } = await serve({ instances: 1, spares: 0, reuseInstances: true });
    try {
      await closeAfterFirstData(`${server.url}/stream?n=1&tail=50`);
      // The instance lived on: it counts this as its second request (a replacement would say 1).
      expect(await (await fetch(`${server.url}/count`)).text()).toBe('2');
      expect(records.find((r) => r.path === '/stream')?.outcome).toBe('client-closed');
    } finally {
      await server.close();
    }
  });

  it('a client that never finishes its headers is disconnected (headers timeout)', async () => {
    const { server } = await serve({ instances: 1, spares: 0, headersTimeoutMs: 1000 });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n'));
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1.1 408/);
      expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    } finally {
      await server.close();
    }
  });

  it('close() lets an in-flight request finish, then stops', async () => {
    const { server } = await serve({ instances: 1, spares: 0 });
    const inFlight = fetch(`${server.url}/stream?n=2&ms=500`).then(async (r) => (await chunks(r)).join(''));
    await new Promise((r) => setTimeout(r, 200));
    await server.close(10_000);
    expect(await inFlight).toBe('chunk 0\nchunk 1\n');
    await expect(fetch(`${server.url}/hello`)).rejects.toThrow();
  });
});

/** The nice value of each of this process's threads, as the kernel reports it (/proc, field 19 of stat). */
function threadNiceValues(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read (earlier tests' workers exit in the background)
    }
    nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nice;
}

describe('wacs serve: scheduling', () => {
  it.runIf(existsSync('/proc/self/task'))('guest threads run below the host thread\'s priority, so a woken guest does not preempt the engines', async () => {
    const before = threadNiceValues();
    const { server } = await serve({ instances: 3, spares: 1 });
    try {
      const started = [...threadNiceValues()].filter(([tid]) => !before.has(tid));
      // One thread per serving worker (4) at the guest's nice value; the host thread keeps its own.
      expect(started.filter(([, nice]) => nice === GUEST_NICE).length).toBeGreaterThanOrEqual(4);
      expect(threadNiceValues().get(process.pid)).toBe(before.get(process.pid));
      expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    } finally {
      await server.close();
    }
  });
});

describe('wacs serve: guests it cannot serve', () => {
  it('a component without wasi:http/incoming-handler: ServeSetupError naming what it exports (exit 125)', async () => {
    const wasm = new Uint8Array(readFileSync(guest('xor-mlp')));
    const error = await startServer(wasm, new NnHost(), { port: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServeSetupError);
    expect((error as ServeSetupError).exitCode).toBe(125);
    expect((error as Error).message).toMatch(/exports wasi:cli\/run@0\.2\.3, not wasi:http\/incoming-handler/);
  });

  it('a core module: ServeSetupError saying a component is needed', async () => {
    const wasm = new Uint8Array(readFileSync(join(repoRoot, 'guests/fuzz-preview1/bin/fuzz-preview1.wasm')));
    const error = await startServer(wasm, new NnHost(), { port: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServeSetupError);
    expect((error as Error).message).toMatch(/core WebAssembly module .* needs a component that exports wasi:http\/incoming-handler/);
  });
});
