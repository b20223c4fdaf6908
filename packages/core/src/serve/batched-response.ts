/**
 * Writes what a guest sends for its response (head, body chunks, end) to the client at the end of
 * the batch of worker messages it arrived in, not message by message.
 *
 * A guest that answers at once sends its head, its body and its end within microseconds, and the
 * host reads them in one batch: they now go out in one write, with a Content-Length, where each
 * used to be a write of its own (the head by flushHeaders, then the body as a chunk of a chunked
 * response, then its end), three system calls a response. A guest that streams loses nothing: what
 * it sent before it blocked (on a wasi:nn call, a clock) goes out once the batch is read, one turn
 * of the event loop later.
 */
import type { ServerResponse } from 'node:http';

/** Headers that belong to the connection, not to the guest's response. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export class BatchedResponse {
  private chunks: Uint8Array[] = [];
  private headPending = false;
  private flushQueued = false;

  constructor(private readonly res: ServerResponse) {}

  head(status: number, headers: Array<[string, string]>): void {
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    res.statusCode = status;
    for (const [name, value] of headers) if (!HOP_BY_HOP.has(name.toLowerCase())) res.appendHeader(name, value);
    this.headPending = true;
    this.queueFlush();
  }

  chunk(bytes: Uint8Array): void {
    if (this.res.destroyed) return;
    this.chunks.push(bytes);
    this.queueFlush();
  }

  /** Ends the response now: with what is pending as its whole body when nothing has gone out yet. */
  end(): void {
    const res = this.res;
    const chunks = this.chunks;
    this.chunks = [];
    this.headPending = false;
    if (res.destroyed) return;
    if (res.headersSent) {
      for (const chunk of chunks) res.write(chunk);
      res.end();
    } else res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)); // Node adds the Content-Length
  }

  /** Writes what is pending now (the head alone too, so a client sees it before a slow body). */
  flush(): void {
    this.flushQueued = false;
    const res = this.res;
    const chunks = this.chunks;
    this.chunks = [];
    if (res.destroyed || res.writableEnded) return;
    if (this.headPending && chunks.length === 0) res.flushHeaders();
    this.headPending = false;
    for (const chunk of chunks) res.write(chunk);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      if (this.flushQueued) this.flush();
    });
  }
}
