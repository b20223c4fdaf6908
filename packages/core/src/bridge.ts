/**
 * The sync bridge between a guest's worker thread and the host thread.
 *
 * wasi:nn calls are synchronous in the guest while engines are asynchronous, and Node 20 has no
 * JSPI. So the worker posts a request on a MessagePort and blocks in `Atomics.wait`; the host
 * thread runs the backend, posts the reply (transferring tensor buffers, not copying them) and
 * wakes the worker, which takes the reply with `receiveMessageOnPort`. One wasi:nn call is one
 * round trip.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { errorFromData, errorToData, type NnErrorData } from './errors.js';

/** The signal word: 0 while the worker waits, 1 once a reply is posted. */
const WAITING = 0;
const REPLIED = 1;

export interface BridgeRequest {
  op: string;
  args: unknown[];
}

export type BridgeReply = { ok: true; value: unknown } | { ok: false; error: NnErrorData };

/** Worker side: blocking calls to the host. */
export class BridgeClient {
  private readonly signal: Int32Array;
  constructor(
    private readonly port: MessagePort,
    signalBuffer: SharedArrayBuffer,
  ) {
    this.signal = new Int32Array(signalBuffer);
  }

  call<T>(op: string, args: unknown[], transfer: ArrayBuffer[] = []): T {
    Atomics.store(this.signal, 0, WAITING);
    this.port.postMessage({ op, args } satisfies BridgeRequest, transfer);
    Atomics.wait(this.signal, 0, WAITING);
    const message = receiveMessageOnPort(this.port);
    if (!message) throw new Error('wasi:nn bridge: woken without a reply');
    const reply = message.message as BridgeReply;
    if (!reply.ok) throw errorFromData(reply.error);
    return reply.value as T;
  }
}

export type BridgeHandler = (op: string, args: unknown[]) => Promise<{ value: unknown; transfer?: ArrayBuffer[] }>;

/** Host side: serves one worker's requests, one at a time (the worker is blocked meanwhile). */
export function serveBridge(port: MessagePort, signalBuffer: SharedArrayBuffer, handler: BridgeHandler): void {
  const signal = new Int32Array(signalBuffer);
  port.on('message', async (request: BridgeRequest) => {
    let reply: BridgeReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const result = await handler(request.op, request.args);
      reply = { ok: true, value: result.value };
      transfer = result.transfer ?? [];
    } catch (error) {
      reply = { ok: false, error: errorToData(error) };
    }
    try {
      port.postMessage(reply, transfer);
    } catch {
      // A buffer that cannot be transferred (e.g. owned by a native engine) is copied instead.
      port.postMessage(reply);
    }
    Atomics.store(signal, 0, REPLIED);
    Atomics.notify(signal, 0);
  });
}

/** Buffers of these views that can move to another thread without a copy. */
export function transferables(views: Iterable<Uint8Array>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) {
    if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
  }
  return [...out];
}
