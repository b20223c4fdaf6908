/**
 * `wacs serve`: a wasi:http/proxy component as an HTTP service. Models load once in this process and
 * are shared; every request runs in a pre-instantiated guest (a fresh one by default) in a worker,
 * with the request bounded (body size, deadline) and the response streamed as the guest writes it.
 *
 * `createServeHandler` gives a `(req, res)` function to mount in any Node HTTP server;
 * `startServer` runs one, with the slow-client timeouts and a draining `close`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { NnHost } from '../host.js';
import { artifactFor } from '../runner/component-artifact.js';
import { defaultCacheDir, prepareComponent } from '../runner/component-cache.js';
import { checkNnVersion, compileCoreModules, EXIT, type DirGrant } from '../runner/run.js';
import { wasmKind } from '../runner/wasm-binary.js';
import { traceMark } from '../trace.js';
import { BatchedResponse } from './batched-response.js';
import { type GuestWorker, type GuestProgram } from './guest-worker.js';
import { InstancePool, PoolClosedError, QueueFullError } from './instance-pool.js';
import type { HttpRequestData } from './wasi-http.js';

export interface ServeOptions {
  /** Requests handled at once (one guest instance each). Default 4. */
  instances?: number;
  /** Requests that may wait for an instance; beyond them, 503. Default 64. */
  queue?: number;
  /** Workers kept beyond `instances` so a fresh instance is ready while others re-instantiate. Default 1. */
  spares?: number;
  /** Keep an instance (and its state) from one request to the next instead of a fresh one each time. */
  reuseInstances?: boolean;
  /** A request's whole deadline, queue wait included: past it, 504 and the instance is killed. Default 300 s. */
  requestTimeoutMs?: number;
  /** The guest's own time per request (the run option --timeout); past it, 504 and the instance is killed. */
  timeoutMs?: number;
  /** Largest request body accepted; larger gets 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Cap on each instance's linear memory. */
  maxMemoryBytes?: number;
  /** What the guest sees of the sandbox (as `wacs run`). */
  programName?: string;
  args?: string[];
  env?: Record<string, string>;
  dirs?: DirGrant[];
  cacheDir?: string;
  /** A `wacs compile` artifact of the guest (e.g. beside it), used instead of transpiling on a cache miss (as `wacs run`). */
  artifactPath?: string;
  /** Access log: one line per request, as text or JSON lines. Default off for the API, text for the CLI. */
  log?: 'text' | 'json' | 'off';
  /** Where access-log and server lines go (default stderr). */
  logLine?: (line: string) => void;
  /** Called once per finished request (metrics hook). */
  onRequest?: (record: AccessRecord) => void;
  /** Called once per registered model, loaded before the first request (metrics hook). */
  onModelLoaded?: (name: string, ms: number) => void;
}

export interface AccessRecord {
  time: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
  /** What happened besides a normal answer: trap, timeout, queue-full, body-too-large, client-closed, incomplete-request, … */
  outcome?: string;
  error?: string;
}

export interface ServeHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Instances busy, ready, preparing, and requests queued. */
  stats(): { busy: number; ready: number; queued: number; preparing: number; inFlight: number };
  /** Stops taking requests, waits up to `drainMs` for those in flight, then ends every instance. */
  close(drainMs?: number): Promise<void>;
}

/** A guest `wacs serve` cannot run: the message says what is missing (the CLI exits 125). */
export class ServeSetupError extends Error {
  readonly exitCode = EXIT.startFailure;
}

/** How long a guest whose client has gone may take to end its response before its instance is ended. */
const CLIENT_GONE_GRACE_MS = 250;

const DEFAULTS = { instances: 4, queue: 64, spares: 1, requestTimeoutMs: 300_000, maxBodyBytes: 10 * 2 ** 20 };

/** Checks the guest is a wasi:http proxy component and compiles it for the workers. */
async function prepareProgram(wasm: Uint8Array, options: ServeOptions): Promise<GuestProgram> {
  let kind;
  try {
    kind = wasmKind(wasm);
  } catch (e) {
    throw new ServeSetupError(`cannot serve this file: ${(e as Error).message}`);
  }
  if (kind === 'module') {
    throw new ServeSetupError(
      'cannot serve this guest: it is a core WebAssembly module (wasm32-wasi preview1), and wacs serve needs a component that exports wasi:http/incoming-handler (the world wasi:http/proxy); run it with wacs run instead',
    );
  }
  let prepared;
  try {
    const { artifactPath } = options;
    const note = options.logLine ?? ((line: string) => process.stderr.write(`${line}\n`));
    prepared = await prepareComponent(wasm, options.cacheDir ?? defaultCacheDir(), artifactPath ? (key) => artifactFor(artifactPath, key, wasm, note) : undefined);
    traceMark(`component-from-${prepared.from}`);
    checkNnVersion(prepared.imports);
  } catch (e) {
    throw new ServeSetupError(`cannot serve this component: ${(e as Error).message}`);
  }
  if (!prepared.exports.some((name) => /^wasi:http\/incoming-handler@0\.2\.\d+$/.test(name))) {
    const exported = prepared.exports.length ? prepared.exports.join(', ') : 'nothing';
    throw new ServeSetupError(
      `cannot serve this component: it exports ${exported}, not wasi:http/incoming-handler@0.2.x (the world wasi:http/proxy)${prepared.exports.some((e) => e.startsWith('wasi:cli/run')) ? '; it is a command: run it with wacs run' : ''}`,
    );
  }
  const preopens: Record<string, string> = {};
  for (const { host, guest } of options.dirs ?? []) preopens[guest] = resolvePath(host);
  return {
    setup: {
      dir: prepared.dir,
      args: [options.programName ?? 'guest.wasm', ...(options.args ?? [])],
      env: options.env ?? {},
      preopens,
      maxMemoryBytes: options.maxMemoryBytes,
    },
    // A fresh instance per request is gone before its memory grows far (guest-memory-sharing.ts),
    // and is the last one put back as it began (instance-reset.ts) or is given its memory (http-worker.ts).
    core: await compileCoreModules(prepared.dir, options.maxMemoryBytes, {
      shared: options.reuseInstances ?? false,
      importMemory: !options.reuseInstances,
      resettable: !options.reuseInstances,
    }),
  };
}

function errorBody(status: number, message: string): string {
  return `${JSON.stringify({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: status } })}\n`;
}

function formatAccess(record: AccessRecord, format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify(record);
  const extra = record.outcome ? ` ${record.outcome}${record.error ? `: ${record.error}` : ''}` : '';
  return `${record.time} ${record.method} ${record.path} ${record.status} ${record.bytes}B ${record.ms.toFixed(1)}ms${extra}`;
}

/** Loads every registered model once, before the first request (they are shared by all instances). */
async function loadModels(host: NnHost, loaded?: (name: string, ms: number) => void): Promise<void> {
  await Promise.all(
    host.models.names().map(async (name) => {
      const started = performance.now();
      try {
        await host.graphByName(name);
      } catch (e) {
        throw new ServeSetupError(`cannot load the model ${name}: ${(e as Error).message}`);
      }
      loaded?.(name, performance.now() - started);
    }),
  );
}

/** A `(req, res)` handler that serves `wasm` with models from `host`; resolves once instances are ready. */
export async function createServeHandler(wasm: Uint8Array, host: NnHost, options: ServeOptions = {}): Promise<ServeHandler> {
  const program = await prepareProgram(wasm, options);
  const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS &
    ServeOptions;
  const logLine = options.logLine ?? ((line: string) => process.stderr.write(`${line}\n`));
  await loadModels(host, options.onModelLoaded);
  const pool = new InstancePool(program, host, {
    instances: settings.instances,
    queue: settings.queue,
    spares: settings.spares,
    reuse: settings.reuseInstances ?? false,
    log: logLine,
  });
  try {
    await pool.start();
  } catch (e) {
    await pool.close();
    throw new ServeSetupError(`cannot serve this component: ${(e as Error).message}`);
  }

  let inFlight = 0;
  let closing = false;
  const drained: Array<() => void> = [];
  const finished = () => {
    inFlight--;
    if (inFlight === 0) for (const resolve of drained.splice(0)) resolve();
  };

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    void serveOne(req, res).finally(finished);
  }) as ServeHandler;

  async function serveOne(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const record: AccessRecord = { time: new Date().toISOString(), method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, status: 0, bytes: 0, ms: 0 };
    let sent = 0;
    const reply = (status: number, message: string, headers: Record<string, string> = {}) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = errorBody(status, message);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
      sent += Buffer.byteLength(body);
      record.error = message;
    };
    const done = () => {
      // No response was sent when the client went away first: 499, nginx's "client closed request".
      record.status = res.headersSent ? res.statusCode : 499;
      record.bytes = sent;
      record.ms = performance.now() - started;
      if (settings.log && settings.log !== 'off') logLine(formatAccess(record, settings.log));
      options.onRequest?.(record);
    };

    if (closing) {
      record.outcome = 'shutting-down';
      reply(503, 'the server is shutting down', { 'retry-after': '1', connection: 'close' });
      return done();
    }
    const body = await readBody(req, settings.maxBodyBytes);
    if (body === 'too-large') {
      record.outcome = 'body-too-large';
      // The rest of the body is not read: answer, then close the connection.
      reply(413, `the request body is larger than the limit of ${settings.maxBodyBytes} bytes`, { connection: 'close' });
      res.on('finish', () => req.destroy());
      return done();
    }
    if (body === 'aborted') {
      // The client closed, or sent a body the HTTP parser refused (Node answered that one with 400).
      record.outcome = 'incomplete-request';
      res.destroy();
      return done();
    }

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('deadline')), settings.requestTimeoutMs);
    let worker: GuestWorker;
    try {
      worker = await pool.acquire(deadline.signal);
    } catch (e) {
      clearTimeout(timer);
      if (e instanceof QueueFullError) {
        record.outcome = 'queue-full';
        reply(503, e.message, { 'retry-after': '1' });
      } else if (e instanceof PoolClosedError) {
        record.outcome = 'shutting-down';
        reply(503, e.message, { 'retry-after': '1', connection: 'close' });
      } else {
        record.outcome = 'timeout';
        reply(504, `no guest instance became free within the --request-timeout of ${settings.requestTimeoutMs / 1000} s`);
      }
      return done();
    }

    const request: HttpRequestData = {
      method: req.method ?? 'GET',
      pathWithQuery: req.url ?? '/',
      authority: req.headers.host ?? '',
      scheme: 'http',
      headers: headerPairs(req),
      body,
    };
    let ended = false;
    let killed: string | undefined;
    let running = true;
    const kill = (reason: string) => {
      if (killed || !running) return; // once released, the worker serves someone else
      killed = reason;
      worker.kill(reason);
    };
    // The guest's own --timeout starts now; the request deadline started when it arrived.
    const guestTimer = settings.timeoutMs === undefined ? undefined : setTimeout(() => kill('timeout'), settings.timeoutMs);
    deadline.signal.addEventListener('abort', () => kill('timeout'));
    // A client that goes away mid-response stops its guest (a generation stops, its state is freed),
    // after a grace: a client that has read a whole reply may close before the guest's own end
    // arrives (the openai client does at `data: [DONE]`), and ending that guest would cost its worker.
    let clientGone = false;
    let graceTimer: NodeJS.Timeout | undefined;
    res.on('close', () => {
      if (ended || !running) return;
      clientGone = true;
      graceTimer = setTimeout(() => kill('client-closed'), CLIENT_GONE_GRACE_MS);
    });

    let trap: string | undefined;
    const response = new BatchedResponse(res);
    try {
      ({ trap } = await worker.handle(request, {
        head: (status, headers) => response.head(status, headers),
        chunk: (bytes) => {
          if (!res.destroyed) sent += bytes.byteLength;
          response.chunk(bytes);
        },
        end: () => {
          ended = true;
          response.end();
        },
        fail: (message) => {
          trap = message;
        },
      }));
    } catch (e) {
      trap = (e as Error).message;
    } finally {
      running = false;
      clearTimeout(timer);
      clearTimeout(guestTimer);
      clearTimeout(graceTimer);
      // What the guest sent goes out before the outcome is judged by what the client has seen.
      response.flush();
    }
    pool.release(worker, trap !== undefined || killed !== undefined);

    if (killed === 'timeout') {
      record.outcome = 'timeout';
      const limit = settings.timeoutMs !== undefined && settings.timeoutMs < settings.requestTimeoutMs ? `--timeout of ${settings.timeoutMs / 1000} s` : `--request-timeout of ${settings.requestTimeoutMs / 1000} s`;
      reply(504, `the guest did not answer within the ${limit}; its instance was ended`);
    } else if (killed === 'client-closed' || clientGone) {
      record.outcome = 'client-closed';
    } else if (trap !== undefined) {
      record.outcome = 'trap';
      // A response the guest had finished stands (a trap after it, e.g. a write to the finished
      // body, only costs the instance); one cut short is cut off, one not begun gets 500.
      if (ended) record.error = trap;
      else reply(500, trap);
    } else if (!res.headersSent) {
      record.outcome = 'no-response';
      reply(500, 'the guest returned without setting a response');
    } else if (!ended) {
      ended = true;
      res.end(); // the guest returned without finishing its body: what it wrote is the response
    }
    return done();
  }

  handler.stats = () => ({ ...pool.stats(), inFlight });
  handler.close = async (drainMs = 10_000) => {
    closing = true;
    if (inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => drained.push(r)), new Promise<void>((r) => (timer = setTimeout(r, drainMs)))]);
      clearTimeout(timer);
    }
    await pool.close();
  };
  return handler;
}

function headerPairs(req: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return pairs;
}

/** The whole request body in a buffer of its own, or why not. */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Uint8Array | 'too-large' | 'aborted') => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        req.pause();
        settle('too-large');
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      // A buffer of its own: it is moved (not copied) to the worker.
      const body = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        body.set(chunk, at);
        at += chunk.byteLength;
      }
      settle(body);
    });
    req.on('error', () => settle('aborted'));
    req.on('close', () => settle('aborted'));
  });
}

export interface ServerOptions extends ServeOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** Time a client has to send its request headers (slow clients). Default 10 s. */
  headersTimeoutMs?: number;
  /** Time a client has to send its whole request, body included. Default 30 s. */
  bodyTimeoutMs?: number;
}

export interface WacsServer {
  server: Server;
  handler: ServeHandler;
  url: string;
  port: number;
  /** Stops accepting connections, drains in-flight requests (at most `drainMs`), ends the instances. */
  close(drainMs?: number): Promise<void>;
}

/** Serves `wasm` on a port of its own. */
export async function startServer(wasm: Uint8Array, host: NnHost, options: ServerOptions = {}): Promise<WacsServer> {
  const handler = await createServeHandler(wasm, host, options);
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(options.bodyTimeoutMs ?? 30_000, headersTimeout),
      // How often Node checks those two timeouts (its default, 30 s, would let a slow client linger).
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
      keepAliveTimeout: 5000,
    },
    handler,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8080, options.hostname ?? '127.0.0.1', () => resolve());
    });
  } catch (e) {
    await handler.close(0);
    throw e;
  }
  const { port, address } = server.address() as AddressInfo;
  const hostPart = address.includes(':') ? `[${address}]` : address;
  return {
    server,
    handler,
    port,
    url: `http://${hostPart}:${port}`,
    async close(drainMs = 10_000) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await handler.close(drainMs);
      server.closeAllConnections();
      await stopped;
    },
  };
}
