/**
 * wasi:http@0.2.x `types` for a guest serving requests in a worker, one request at a time.
 *
 * preview2-shim's own http server runs the guest on Node's main thread and moves every body through
 * its I/O worker; here the guest runs in our worker beside the wasi:nn bridge, so the request
 * arrives whole in a message (the host has read and bounded it) and what the guest writes to its
 * outgoing body is posted to the host as it is written: a streamed response reaches the client
 * chunk by chunk while the guest is still running (or blocked in a wasi:nn call).
 *
 * Streams must be instances of preview2-shim's `wasi:io/streams` classes (the guest's other
 * streams, stdout, come from there and jco checks `instanceof`): ours are objects on those
 * prototypes with their own methods. Their pollables are always ready (the request is in memory,
 * writes never wait), made by the shim's clock so `poll` accepts them.
 */
import { clocks, io } from '../runner/wasi-shims.js';

export interface HttpRequestData {
  method: string;
  pathWithQuery: string;
  authority: string;
  scheme: 'http' | 'https';
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** Where a response goes (the host, through the worker's port). */
export interface ResponseSink {
  head(status: number, headers: Array<[string, string]>): void;
  chunk(bytes: Uint8Array): void;
  end(): void;
  /** The guest set an error instead of a response. */
  fail(message: string): void;
}

type Method = { tag: string; val?: string };
type ErrorCode = { tag: string; val?: unknown };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const symbolDispose: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');
const METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);
/** Headers the guest can neither see nor set: the connection is the host's business. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te', 'trailer']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const streamClasses = io.streams;
const monotonic = (clocks as unknown as { monotonicClock: { subscribeDuration(ns: bigint): object } }).monotonicClock;

function streamError(tag: 'closed'): never {
  throw { payload: { tag } };
}

function readyPollable(): object {
  return monotonic.subscribeDuration(0n);
}

/** A plain object on a shim class's prototype, with its own methods (jco checks `instanceof`). */
function onPrototype<T extends object>(prototype: object, methods: T): T {
  const object = Object.create(prototype) as T;
  Object.assign(object, methods, { [symbolDispose]() {}, [Symbol.for('dispose')]() {} });
  return object;
}

function inputStream(bytes: Uint8Array): object {
  let at = 0;
  const read = (len: bigint) => {
    if (at >= bytes.byteLength) streamError('closed');
    const end = Math.min(bytes.byteLength, at + Number(len));
    const chunk = bytes.slice(at, end);
    at = end;
    return chunk;
  };
  const skip = (len: bigint) => BigInt(read(len).byteLength);
  return onPrototype(streamClasses.InputStream.prototype, {
    read,
    blockingRead: read,
    skip,
    blockingSkip: skip,
    subscribe: readyPollable,
  });
}

/** Writes go straight to the sink; the window is large, and writes never block. */
const WRITE_WINDOW = 1n << 20n;

function outputStream(body: { write(bytes: Uint8Array): void; finished(): boolean }): object {
  const write = (contents: Uint8Array) => {
    if (body.finished()) streamError('closed');
    if (contents.byteLength > 0) body.write(contents);
  };
  const check = () => {
    if (body.finished()) streamError('closed');
  };
  return onPrototype(streamClasses.OutputStream.prototype, {
    checkWrite: () => (body.finished() ? streamError('closed') : WRITE_WINDOW),
    write,
    blockingWriteAndFlush: write,
    flush: check,
    blockingFlush: check,
    writeZeroes: (len: bigint) => write(new Uint8Array(Number(len))),
    blockingWriteZeroesAndFlush: (len: bigint) => write(new Uint8Array(Number(len))),
    splice: () => streamError('closed'),
    blockingSplice: () => streamError('closed'),
    subscribe: readyPollable,
  });
}

function headerError(tag: 'invalid-syntax' | 'forbidden' | 'immutable'): never {
  throw { payload: { tag } };
}

class Fields {
  private entryList: Array<[string, Uint8Array]> = [];
  private immutable = false;

  static fromList(entries: Array<[string, Uint8Array]>): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) fields.append(name, value);
    return fields;
  }
  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.entryList.filter(([n]) => n.toLowerCase() === key).map(([, v]) => v);
  }
  has(name: string): boolean {
    return this.get(name).length > 0;
  }
  set(name: string, values: Uint8Array[]): void {
    this.delete(name);
    for (const value of values) this.append(name, value);
  }
  delete(name: string): void {
    if (this.immutable) headerError('immutable');
    const key = name.toLowerCase();
    this.entryList = this.entryList.filter(([n]) => n.toLowerCase() !== key);
  }
  append(name: string, value: Uint8Array): void {
    if (this.immutable) headerError('immutable');
    if (!TOKEN.test(name) || /[\r\n\0]/.test(decoder.decode(value))) headerError('invalid-syntax');
    if (HOP_BY_HOP.has(name.toLowerCase())) headerError('forbidden');
    this.entryList.push([name, value.slice()]);
  }
  entries(): Array<[string, Uint8Array]> {
    return this.entryList.map(([n, v]) => [n, v.slice()]);
  }
  clone(): Fields {
    const copy = new Fields();
    copy.entryList = this.entries();
    return copy;
  }
  /** Headers of a request, or of a response once handed over, cannot change. */
  lock(): this {
    this.immutable = true;
    return this;
  }
  /** Entries as text, for the host. */
  text(): Array<[string, string]> {
    return this.entryList.map(([n, v]) => [n, decoder.decode(v)]);
  }
  [symbolDispose](): void {}
}

class FutureTrailers {
  private taken = false;
  subscribe(): object {
    return readyPollable();
  }
  get(): unknown {
    if (this.taken) return { tag: 'err', val: undefined };
    this.taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
  [symbolDispose](): void {}
}

class IncomingBody {
  private streamTaken = false;
  constructor(private readonly bytes: Uint8Array) {}
  stream(): object {
    if (this.streamTaken) throw { payload: undefined };
    this.streamTaken = true;
    return inputStream(this.bytes);
  }
  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers();
  }
  [symbolDispose](): void {}
}

class IncomingRequest {
  private consumed = false;
  private readonly fields: Fields;
  constructor(private readonly data: HttpRequestData) {
    this.fields = new Fields();
    for (const [name, value] of data.headers) {
      if (!HOP_BY_HOP.has(name.toLowerCase())) this.fields.append(name, encoder.encode(value));
    }
    this.fields.lock();
  }
  method(): Method {
    const lower = this.data.method.toLowerCase();
    return METHODS.has(lower) ? { tag: lower } : { tag: 'other', val: this.data.method };
  }
  pathWithQuery(): string {
    return this.data.pathWithQuery;
  }
  scheme(): Method {
    return { tag: this.data.scheme === 'https' ? 'HTTPS' : 'HTTP' };
  }
  authority(): string {
    return this.data.authority;
  }
  headers(): Fields {
    return this.fields;
  }
  consume(): IncomingBody {
    if (this.consumed) throw { payload: undefined };
    this.consumed = true;
    return new IncomingBody(this.data.body);
  }
  [symbolDispose](): void {}
}

/** The one response of the current request: headers first, then body chunks, then the end. */
class Exchange {
  headSent = false;
  ended = false;
  private pending: Uint8Array[] = [];
  constructor(readonly sink: ResponseSink) {}
  sendHead(status: number, headers: Array<[string, string]>): void {
    this.headSent = true;
    this.sink.head(status, headers);
    for (const chunk of this.pending) this.sink.chunk(chunk);
    this.pending = [];
  }
  write(bytes: Uint8Array): void {
    if (this.headSent) this.sink.chunk(bytes);
    else this.pending.push(bytes); // a body may be written before the response is set
  }
  end(): void {
    this.ended = true;
    if (this.headSent) this.sink.end();
  }
}

export interface HttpTypes {
  /** The guest's view of this request, and the outparam its response goes to. */
  begin(request: HttpRequestData, sink: ResponseSink): { request: object; outparam: object; exchange: Exchange };
  imports: Record<string, unknown>;
}

/** Builds the `wasi:http/types` import; `begin` starts each request. */
export function httpTypes(): HttpTypes {
  let current: Exchange | undefined;

  class OutgoingBody {
    private streamTaken = false;
    private done = false;
    constructor(private readonly exchange: Exchange) {}
    write(): object {
      if (this.streamTaken) throw { payload: undefined };
      this.streamTaken = true;
      return outputStream({ write: (bytes) => this.exchange.write(bytes), finished: () => this.done });
    }
    static finish(body: OutgoingBody, trailers: Fields | undefined): void {
      if (body.done) throw { payload: { tag: 'internal-error', val: 'the body is already finished' } satisfies ErrorCode };
      body.done = true;
      if (trailers && trailers.entries().length > 0) {
        throw { payload: { tag: 'internal-error', val: 'wacs serve does not send trailers' } satisfies ErrorCode };
      }
      body.exchange.end();
    }
    [symbolDispose](): void {}
  }

  class OutgoingResponse {
    private status = 200;
    private bodyTaken = false;
    readonly exchange: Exchange | undefined = current;
    constructor(private readonly fields: Fields) {
      fields.lock();
    }
    statusCode(): number {
      return this.status;
    }
    setStatusCode(status: number): void {
      if (status < 100 || status > 599) throw { payload: undefined };
      this.status = status;
    }
    headers(): Fields {
      return this.fields;
    }
    body(): OutgoingBody {
      if (this.bodyTaken || !this.exchange) throw { payload: undefined };
      this.bodyTaken = true;
      return new OutgoingBody(this.exchange);
    }
    [symbolDispose](): void {}
  }

  class ResponseOutparam {
    private used = false;
    constructor(private readonly exchange: Exchange) {}
    static set(param: ResponseOutparam, response: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode }): void {
      if (param.used) throw new Error('response-outparam.set called twice');
      param.used = true;
      if (response.tag === 'err') {
        const { tag, val } = response.val;
        param.exchange.sink.fail(`the guest answered with an error: ${tag}${val === undefined ? '' : ` (${JSON.stringify(val)})`}`);
        return;
      }
      param.exchange.sendHead(response.val.statusCode(), response.val.headers().text());
    }
    [symbolDispose](): void {}
  }

  /** The guest may build outgoing requests, but `outgoing-handler` refuses to send them. */
  class OutgoingRequest {
    constructor(private readonly fields: Fields) {
      fields.lock();
    }
    body(): never {
      throw { payload: undefined };
    }
    method(): Method {
      return { tag: 'get' };
    }
    setMethod(): void {}
    pathWithQuery(): undefined {
      return undefined;
    }
    setPathWithQuery(): void {}
    scheme(): undefined {
      return undefined;
    }
    setScheme(): void {}
    authority(): undefined {
      return undefined;
    }
    setAuthority(): void {}
    headers(): Fields {
      return this.fields;
    }
    [symbolDispose](): void {}
  }

  class RequestOptions {
    connectTimeout(): undefined {
      return undefined;
    }
    setConnectTimeout(): void {}
    firstByteTimeout(): undefined {
      return undefined;
    }
    setFirstByteTimeout(): void {}
    betweenBytesTimeout(): undefined {
      return undefined;
    }
    setBetweenBytesTimeout(): void {}
    [symbolDispose](): void {}
  }

  /** Never made (no outgoing request is sent); declared because the guest's bindings name them. */
  class IncomingResponse {}
  class FutureIncomingResponse {}

  return {
    begin(request, sink) {
      current = new Exchange(sink);
      return { request: new IncomingRequest(request), outparam: new ResponseOutparam(current), exchange: current };
    },
    imports: {
      Fields,
      FutureIncomingResponse,
      FutureTrailers,
      IncomingBody,
      IncomingRequest,
      IncomingResponse,
      OutgoingBody,
      OutgoingRequest,
      OutgoingResponse,
      ResponseOutparam,
      RequestOptions,
      httpErrorCode: () => undefined,
    },
  };
}
