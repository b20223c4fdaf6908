// A small library for wasi:http guests (world nn-http): the request as plain values, and responses
// sent whole or streamed chunk by chunk (each chunk reaches the client when it is written).
import {
  Fields,
  IncomingBody,
  OutgoingBody,
  OutgoingResponse,
  ResponseOutparam,
  type IncomingRequest,
  type OutputStream,
} from 'wasi:http/types@0.2.3';

export interface Request {
  method: string;
  /** The path without the query. */
  path: string;
  query: URLSearchParams;
  headers: Map<string, string>;
  body: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads the request line, headers and the whole body. */
export function readRequest(request: IncomingRequest): Request {
  const method = request.method();
  const target = request.pathWithQuery() ?? '/';
  const mark = target.indexOf('?');
  const headers = new Map<string, string>();
  for (const [name, value] of request.headers().entries()) headers.set(name.toLowerCase(), decoder.decode(value));
  const incoming = request.consume();
  const stream = incoming.stream();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: Uint8Array;
    try {
      chunk = stream.blockingRead(65536n);
    } catch (e) {
      if ((e as { payload?: { tag?: string } }).payload?.tag === 'closed') break;
      throw e;
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  drop(stream);
  IncomingBody.finish(incoming);
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return {
    method: method.tag === 'other' ? method.val.toUpperCase() : method.tag.toUpperCase(),
    path: mark < 0 ? target : target.slice(0, mark),
    query: new URLSearchParams(mark < 0 ? '' : target.slice(mark + 1)),
    headers,
    body,
  };
}

export function bodyText(request: Request): string {
  return decoder.decode(request.body);
}

/** A response being written: the status and headers go out with the first write. */
export class ResponseWriter {
  private readonly body: OutgoingBody;
  private readonly stream: OutputStream;

  constructor(outparam: ResponseOutparam, status: number, headers: Record<string, string>) {
    const fields = Fields.fromList(Object.entries(headers).map(([name, value]) => [name, encoder.encode(value)]));
    const response = new OutgoingResponse(fields);
    response.setStatusCode(status);
    this.body = response.body();
    this.stream = this.body.write();
    ResponseOutparam.set(outparam, { tag: 'ok', val: response });
  }

  write(chunk: string | Uint8Array): void {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    // blocking-write-and-flush takes at most 4096 bytes a call.
    for (let at = 0; at < bytes.byteLength; at += 4096) this.stream.blockingWriteAndFlush(bytes.subarray(at, at + 4096));
  }

  end(): void {
    drop(this.stream);
    OutgoingBody.finish(this.body, undefined);
  }
}

/** Sends a whole response. */
export function respond(outparam: ResponseOutparam, status: number, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  const writer = new ResponseWriter(outparam, status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  writer.write(body);
  writer.end();
}

export function respondJson(outparam: ResponseOutparam, status: number, value: unknown, headers: Record<string, string> = {}): void {
  respond(outparam, status, JSON.stringify(value), { ...headers, 'content-type': 'application/json' });
}

/** Drops a resource now (a child resource must be dropped before its parent is finished). */
export function drop(resource: object): void {
  (resource as Record<symbol, (() => void) | undefined>)[Symbol.for('dispose')]?.();
}
