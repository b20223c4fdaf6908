// wacs serve, end to end: the real CLI process, PORT, signals, and the exit codes.
import { guest, repoRoot, runWacs, wacsBin } from '@wacs/fixtures';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Starts `wacs serve …`; resolves with the process and its URL once it prints its JSON line. */
function startServe(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [wacsBin, 'serve', ...args, '--json'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<{ url: string; metrics?: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { url: string; metrics?: string });
    });
    void exited.then((code) => reject(new Error(`wacs serve exited ${code}: ${stderr}`)));
  });
  return { child, listening, exited, stderr: () => stderr };
}

describe('wacs serve (CLI)', () => {
  it('listens on $PORT when --port is not given, logs each request, and drains on SIGTERM to exit 0', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const serve = startServe([guest('serve-probe'), '--instances', '1'], { ...process.env, PORT: String(port) });
    const { url } = await serve.listening;
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const inFlight = fetch(`${url}/stream?n=2&ms=700`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 300));
    serve.child.kill('SIGTERM');
    expect(await inFlight).toBe('chunk 0\nchunk 1\n');
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toMatch(/GET \/stream 200 16B/);
    expect(serve.stderr()).toMatch(/SIGTERM: draining/);
  });

  it('--log json writes one JSON line per request', async () => {
    const serve = startServe([guest('serve-probe'), '--port', '0', '--instances', '1', '--log', 'json']);
    const { url } = await serve.listening;
    expect(await (await fetch(`${url}/hello`)).text()).toBe('hello');
    serve.child.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    const line = serve.stderr().split('\n').find((l) => l.startsWith('{"time"'));
    expect(JSON.parse(line!)).toMatchObject({ method: 'GET', path: '/hello', status: 200, bytes: 5 });
  });

  it('starts a guest not yet in the cache from the artifact pnpm build prepared beside it, without transpiling', async () => {
    const env = { ...process.env, WACS_CACHE_DIR: mkdtempSync(join(tmpdir(), 'wacs-serve-cache-')), WACS_TRACE: '1' };
    const serve = startServe([guest('serve-probe'), '--port', '0', '--instances', '1', '--log', 'off'], env);
    const { url } = await serve.listening;
    expect(await (await fetch(`${url}/hello`)).text()).toBe('hello');
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toMatch(/^wacs-trace component-from-artifact /m);
  });

  it('a command component exits 125 naming the missing wasi:http/incoming-handler', async () => {
    const r = await runWacs(['serve', guest('xor-mlp'), '--port', '0']);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/not wasi:http\/incoming-handler.*run it with wacs run/);
  });

  it('a core module exits 125 saying a component is needed', async () => {
    const r = await runWacs(['serve', join(repoRoot, 'guests/fuzz-preview1/bin/fuzz-preview1.wasm'), '--port', '0']);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/core WebAssembly module/);
  });

  it('bad options are usage errors (exit 2)', async () => {
    const r = await runWacs(['serve', guest('serve-probe'), '--log', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--log expects text, json or off/);
  });
});

describe('wacs serve --metrics-port', () => {
  it('serves Prometheus metrics: requests by route and status, latency, instances, queue', async () => {
    const serve = startServe([guest('serve-probe'), '--port', '0', '--metrics-port', '0', '--instances', '1', '--log', 'off']);
    const { url, metrics } = await serve.listening;
    expect(metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(`${url}/hello`)).status).toBe(200);
    expect((await fetch(`${url}/trap`)).status).toBe(500);
    const text = await (await fetch(metrics!)).text();
    serve.child.kill('SIGTERM');
    await serve.exited;
    expect(text).toMatch(/wacs_http_requests_total\{method="GET",route="\/hello",status="200",outcome="ok"\} 1/);
    expect(text).toMatch(/wacs_http_requests_total\{method="GET",route="\/trap",status="500",outcome="trap"\} 1/);
    expect(text).toMatch(/wacs_http_request_duration_seconds_count\{method="GET",route="\/hello"\} 1/);
    expect(text).toMatch(/wacs_queue_depth 0/);
    expect(text).toMatch(/wacs_instances\{state="busy"\} 0/);
  });
});
