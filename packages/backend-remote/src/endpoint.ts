/**
 * The one server a remote graph talks to. Every request goes to the configured origin under its
 * path (no redirects are followed), with the API key from the host environment, over verified TLS
 * for https. Plain requests are bounded in time and size and retried with backoff when the caller
 * says they may be repeated; streams are bounded until their headers and then between chunks.
 */
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { NnError } from '@wacs/core/backend';
import { AttemptFailure, networkFailure, statusFailure, timeoutFailure } from './faults.js';
import type { RemoteOptions } from './options.js';

export interface RemoteRequest {
  method: 'GET' | 'POST';
  /** Path under the base URL, e.g. `/v2/models/mnist/infer`. */
  path: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  /** Whether a failed attempt may be sent again (no output reached the guest). */
  repeatable: boolean;
  /** Says what was asked, in error messages. */
  what: string;
  /** Error statuses the caller handles itself: returned as replies instead of failing. */
  accept?: readonly number[];
}

export interface RemoteReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RemoteStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body's chunks; a chunk later than the request timeout fails with `timeout`. */
  chunks: AsyncIterable<Buffer>;
  /** Stops reading and closes the connection. */
  close(): void;
}

const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5000;
const ERROR_BODY_BYTES = 64 * 1024;

/** Backoff before retry `attempt` (0-based): exponential with ±25 % jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export class RemoteEndpoint {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly authorization?: string;
  private readonly urls = new Map<string, URL>();

  constructor(
    url: string,
    readonly options: RemoteOptions,
  ) {
    let base: URL;
    try {
      base = new URL(url);
    } catch {
      throw new NnError('invalid-argument', `not a server address: "${url}"; give http(s)://host:port[/path]`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new NnError('invalid-argument', `"${url}": only http and https servers are supported`);
    if (base.username || base.password) {
      throw new NnError('security', `"${base.host}": credentials in the URL would be visible in logs; put the key in an environment variable and name it with api-key-env=VAR`);
    }
    if (base.search || base.hash) throw new NnError('invalid-argument', `"${url}": the server address takes no query or fragment`);
    this.base = base;
    this.agent = base.protocol === 'https:' ? new https.Agent({ keepAlive: true, rejectUnauthorized: true }) : new http.Agent({ keepAlive: true });
    if (options.apiKeyEnv) {
      const key = process.env[options.apiKeyEnv];
      if (!key) throw new NnError('security', `the API key variable ${options.apiKeyEnv} (api-key-env) is not set in the host's environment`);
      this.authorization = `Bearer ${key}`;
    }
  }

  /** The URL of a path under the base (the base's own path kept as a prefix). */
  url(path: string): URL {
    let url = this.urls.get(path);
    if (!url) {
      url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base.origin);
      if (url.origin !== this.base.origin) throw new NnError('security', `refusing to contact ${url.origin}: only ${this.base.origin} is configured`);
      // Paths are few and fixed (per model and route): the map stays small.
      this.urls.set(path, url);
    }
    return url;
  }

  /** Where errors say the request went (never with credentials: the URL has none). */
  describe(path: string): string {
    return this.url(path).href;
  }

  /** A whole response of status 2xx, retried as allowed; any other status is a wasi:nn error. */
  async call(request: RemoteRequest): Promise<RemoteReply> {
    return this.withRetries(request, async () => {
      const started = Date.now();
      const response = await this.send(request);
      const limit = response.statusCode! >= 300 ? ERROR_BODY_BYTES : this.options.maxResponseBytes;
      const body = await this.readBody(response, request, limit, this.options.requestTimeoutMs - (Date.now() - started));
      const status = response.statusCode!;
      if (status >= 300 && !request.accept?.includes(status)) throw statusFailure(status, body, response.headers, request.what);
      return { status, headers: response.headers, body };
    });
  }

  /**
   * A streaming response of status 2xx. Opening is retried as allowed (nothing has been delivered
   * yet); once it is open, a failure is the caller's to report.
   */
  async stream(request: RemoteRequest): Promise<RemoteStream> {
    return this.withRetries(request, async () => {
      const response = await this.send(request);
      if (response.statusCode! >= 300) {
        const body = await this.readBody(response, request, ERROR_BODY_BYTES, this.options.requestTimeoutMs);
        throw statusFailure(response.statusCode!, body, response.headers, request.what);
      }
      return { status: response.statusCode!, headers: response.headers, chunks: this.chunks(response, request), close: () => response.destroy() };
    });
  }

  dispose(): void {
    this.agent.destroy();
  }

  private async withRetries<T>(request: RemoteRequest, attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof AttemptFailure)) throw e;
        if (!e.retryable || !request.repeatable || tries >= this.options.retries) throw e.error;
        const wait = e.retryAfterMs ?? backoffMs(tries);
        if (wait > this.options.maxRetryWaitMs) {
          throw new NnError(e.error.code, `${e.error.message}; not retried: the server asked for ${Math.ceil(wait / 1000)} s, more than max-retry-wait-ms (${this.options.maxRetryWaitMs} ms)`, e.error.reason);
        }
        await sleep(wait);
      }
    }
  }

  /** Sends one request; resolves with the response once its headers are in. */
  private send(request: RemoteRequest): Promise<http.IncomingMessage> {
    const url = this.url(request.path);
    // Text stays text: Node then sends the headers and a string body in one write.
    const body = request.body;
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    if (this.authorization) headers.authorization = this.authorization;
    const client = url.protocol === 'https:' ? https : http;
    const { connectTimeoutMs, requestTimeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (failure: AttemptFailure) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(headerTimer);
        req.destroy();
        reject(failure);
      };
      const req = client.request(url, { method: request.method, headers, agent: this.agent });
      const connectTimer = setTimeout(() => fail(timeoutFailure(request.what, 'connecting', connectTimeoutMs)), connectTimeoutMs);
      const headerTimer = setTimeout(() => fail(timeoutFailure(request.what, 'the response', requestTimeoutMs)), requestTimeoutMs);
      req.on('socket', (socket) => {
        // A kept-alive socket is connected already.
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      req.on('error', (error) => fail(networkFailure(request.what, error)));
      req.on('response', (response) => {
        if (settled) return void response.destroy();
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(headerTimer);
        resolve(response);
      });
      req.end(body);
    });
  }

  /** Reads a body of at most `limit` bytes within `timeoutMs`. */
  private readBody(response: http.IncomingMessage, request: RemoteRequest, limit: number, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      let size = 0;
      let settled = false;
      // The first outcome wins: destroying the response emits events of its own.
      const settle = (outcome: Buffer | AttemptFailure) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome instanceof AttemptFailure) {
          reject(outcome);
          response.destroy();
        } else resolve(outcome);
      };
      const tooLarge = () =>
        new AttemptFailure(new NnError('too-large', `${request.what}: the response is larger than max-response-bytes (${limit} bytes)`), false);
      const timer = setTimeout(() => settle(timeoutFailure(request.what, 'the response', this.options.requestTimeoutMs)), Math.max(1, timeoutMs));
      if (Number(response.headers['content-length'] ?? NaN) > limit) return settle(tooLarge());
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > limit) return settle(tooLarge());
        parts.push(chunk);
      });
      response.on('end', () => settle(Buffer.concat(parts)));
      response.on('error', (error) => settle(networkFailure(request.what, error)));
      response.on('aborted', () =>
        settle(new AttemptFailure(new NnError('runtime-error', `${request.what}: the server closed the connection before the response was complete`), true)),
      );
    });
  }

  /** A stream's chunks, each within the request timeout of the last; the total bounded by max-response-bytes. */
  private async *chunks(response: http.IncomingMessage, request: RemoteRequest): AsyncGenerator<Buffer> {
    const { requestTimeoutMs, maxResponseBytes } = this.options;
    const iterator = response[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let size = 0;
    try {
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const stalled = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new NnError('timeout', `${request.what}: the stream stalled: nothing for ${requestTimeoutMs} ms`)), requestTimeoutMs);
        });
        let step: IteratorResult<Buffer>;
        try {
          step = await Promise.race([iterator.next(), stalled]);
        } catch (e) {
          if (e instanceof NnError) throw e;
          throw new NnError('runtime-error', `${request.what}: the stream broke: ${(e as Error).message}`, undefined, { cause: e });
        } finally {
          clearTimeout(timer);
        }
        if (step.done) return;
        size += step.value.byteLength;
        if (size > maxResponseBytes) throw new NnError('too-large', `${request.what}: the stream is longer than max-response-bytes (${maxResponseBytes} bytes)`);
        yield step.value;
      }
    } finally {
      response.destroy();
    }
  }
}
