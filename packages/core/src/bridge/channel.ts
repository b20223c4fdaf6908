/**
 * The sync bridge between a guest's worker thread and the host thread.
 *
 * wasi:nn calls are synchronous in the guest while engines are asynchronous, and Node 20 has no
 * JSPI. So the worker posts a request and blocks in `Atomics.wait`; the host thread runs the
 * backend, posts the reply and wakes the worker. One wasi:nn call is one round trip. Each side
 * checks for the other's message in a loop for a moment before it sleeps (SpinWait): waking a
 * sleeping thread costs more than a small model's compute.
 *
 * Two lanes carry a request or a reply:
 * - the arena, a SharedArrayBuffer both threads see: the message as JSON with its byte arrays
 *   copied beside it. The host wakes on `Atomics.waitAsync`; no structured clone, no MessagePort.
 *   Used whenever a message fits (small tensors: the per-call overhead is what matters there).
 * - the MessagePort, for messages larger than the arena: byte arrays are transferred, not copied
 *   (large tensors: the copy is what matters there). The host hands large input buffers back
 *   with its reply once the call is done with them, and the worker copies its next large inputs
 *   into those: writing into freshly allocated memory costs a page fault per 4 KiB page, which
 *   made a 64 MiB input cost more than the engine's own work (see BufferPool).
 *
 * What travels is `{ op, args }` for one of the operations in operations.ts; this file only moves
 * messages, and the host's answers to each operation are in session-server.ts.
 */
import { availableParallelism } from 'node:os';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { errorFromData, errorToData, type NnErrorData } from '../errors.js';
import type { BridgeArgs, BridgeOp, BridgeResult } from './operations.js';
import { planMessage, readMessage, writeMessage } from './arena-message.js';
import { answerEachRequest } from './request-loop.js';
import { SpinWait } from './spin-wait.js';

/** Slots of the control word array. */
const REQUEST = 0; // sequence number of the last request put in the arena
const REPLY = 1; // sequence number of the last request answered (either lane)
const REPLY_LANE = 2; // where that answer is: ARENA or PORT
const CLOSED = 3; // set by the host to stop serving
const ARENA = 1;
const PORT = 2;

/** Shared memory for one worker: the control words, then the arena. */
export interface BridgeMemory {
  control: SharedArrayBuffer;
  arena: SharedArrayBuffer;
}

/** Messages up to this size go through the arena; larger tensors are moved by the port. */
export const BRIDGE_ARENA_BYTES = 1 << 20;

/** How long each side checks for the other's message before it sleeps: SpinWait's window adapts between these. */
const WORKER_SPIN = { minMs: 0.1, maxMs: 0.5 };
const HOST_SPIN = { minMs: 0.05, maxMs: 0.5 };
/**
 * The host's brief, fixed check, where its event loop has work that cannot wait. A stream's reply
 * leaves the next step in flight (see StreamSteps), whose engine needs the event loop (a longer
 * spin stalled token streaming: 0.94 → 0.83 of node-llama-cpp's speed).
 */
const HOST_SPIN_BRIEF = { minMs: 0.05 };
const LEAVES_WORK_RUNNING: ReadonlySet<string> = new Set<BridgeOp>(['streamSteps']);
/** On one core a spinning thread only holds up the one it waits for. */
const CAN_SPIN = availableParallelism() > 1;

/**
 * Bridges this thread serves now. The host spins for a guest's next request only while it serves
 * one: spinning for one guest would hold up the others' replies and the event loop (`wacs serve`).
 */
let bridgesServed = 0;

/** New control words, with a new arena or `arena` (one a finished session used: messages carry their length). */
export function createBridgeMemory(arena: SharedArrayBuffer | number = BRIDGE_ARENA_BYTES): BridgeMemory {
  return { control: new SharedArrayBuffer(16), arena: typeof arena === 'number' ? new SharedArrayBuffer(arena) : arena };
}

export interface BridgeRequest {
  op: string;
  args: unknown[];
}

export type BridgeReply = ({ ok: true; value: unknown } | { ok: false; error: NnErrorData }) & { recycled?: ArrayBuffer[] };

/**
 * Large buffers the host handed back, for the worker's next large tensors of the same size.
 * Memory already written once is ready to take new bytes at copy speed; a fresh allocation is
 * zero pages the OS maps in on first write (tens of ms per 64 MiB on a quiet machine, far more on
 * a busy or virtualised one).
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly keep = 4) {}

  /** A buffer of `byteLength` bytes (contents unspecified): a recycled one when there is one of that size. */
  take(byteLength: number): Uint8Array {
    const at = this.free.findIndex((b) => b.byteLength === byteLength);
    return at >= 0 ? new Uint8Array(this.free.splice(at, 1)[0]!) : new Uint8Array(byteLength);
  }

  give(buffers: ArrayBuffer[]): void {
    for (const buffer of buffers) if (buffer.byteLength > 0) this.free.unshift(buffer);
    this.free.length = Math.min(this.free.length, this.keep);
  }
}

/** Byte arrays inside a message (those a message by the port may transfer). */
function collectBytes(value: unknown, found: Uint8Array[]): void {
  if (value instanceof Uint8Array) found.push(value);
  else if (Array.isArray(value)) for (const v of value) collectBytes(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectBytes(v, found);
}

/** Buffers of these views that can move to another thread without a copy. */
export function transferables(views: Iterable<Uint8Array>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) {
    if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
  }
  return [...out];
}

/** Worker side: blocking calls to the host. */
export class BridgeClient {
  private readonly control: Int32Array;
  private readonly arena: Uint8Array;
  private seq = 0;
  /** Replies from a small model come sooner than a sleeping thread wakes (see SpinWait). */
  private readonly spin?: SpinWait;
  /** Large buffers for tensors that go to the host (see BufferPool). */
  readonly buffers = new BufferPool();

  /**
   * `spin: false` for a worker among many that share the machine's cores with the host (`wacs
   * serve`): their spinning takes CPU time the host needs (OIP mnist with 8 spinning guests served
   * 12% fewer requests over three alternating runs on 2 cores, within this machine's noise).
   */
  constructor(
    private readonly port: MessagePort,
    memory: BridgeMemory,
    { spin = CAN_SPIN } = {},
  ) {
    this.control = new Int32Array(memory.control);
    this.arena = new Uint8Array(memory.arena);
    if (spin) this.spin = new SpinWait(WORKER_SPIN);
  }

  call<Op extends BridgeOp>(op: Op, args: BridgeArgs<Op>): BridgeResult<Op> {
    const seq = ++this.seq;
    const request: BridgeRequest = { op, args };
    if (writeMessage(this.arena, planMessage(request))) {
      Atomics.store(this.control, REQUEST, seq);
      Atomics.notify(this.control, REQUEST);
    } else {
      // Too big for the arena: move the byte arrays to the host instead of copying them.
      const blobs: Uint8Array[] = [];
      collectBytes(request, blobs);
      this.port.postMessage({ seq, request }, transferables(blobs));
    }
    this.spin?.spin(() => Atomics.load(this.control, REPLY) !== seq);
    for (let answered = Atomics.load(this.control, REPLY); answered !== seq; answered = Atomics.load(this.control, REPLY)) {
      Atomics.wait(this.control, REPLY, answered);
    }
    let reply: BridgeReply;
    if (Atomics.load(this.control, REPLY_LANE) === ARENA) reply = readMessage(this.arena) as BridgeReply;
    else {
      const message = receiveMessageOnPort(this.port);
      if (!message) throw new Error('wasi:nn bridge: woken without a reply');
      reply = message.message as BridgeReply;
      if (reply.recycled) this.buffers.give(reply.recycled);
    }
    if (!reply.ok) throw errorFromData(reply.error);
    return reply.value as BridgeResult<Op>;
  }
}

/**
 * Serves one request. `transfer`: buffers of the value to move, not copy. `recycle`: the request's
 * own buffers, done with, to hand back to the worker (moved with the reply; see BufferPool).
 */
export type BridgeHandler = (op: string, args: unknown[]) => Promise<{ value: unknown; transfer?: ArrayBuffer[]; recycle?: ArrayBuffer[] }>;

export interface ServeBridgeOptions {
  /**
   * Keep the host's checks for the guest's next call short (0.05 ms) instead of adapting them up
   * to 0.5 ms: for a host whose event loop has other work that cannot wait (`wacs serve`'s HTTP).
   */
  briefSpins?: boolean;
}

/**
 * Host side: serves one worker's requests from either lane, one at a time (the worker is blocked
 * meanwhile). Returns a function that stops serving.
 */
export function serveBridge(port: MessagePort, memory: BridgeMemory, handler: BridgeHandler, { briefSpins = false }: ServeBridgeOptions = {}): () => void {
  const control = new Int32Array(memory.control);
  const arena = new Uint8Array(memory.arena);
  const briefSpin = new SpinWait(HOST_SPIN_BRIEF);
  const hostSpin = briefSpins ? briefSpin : new SpinWait(HOST_SPIN);

  const answer = async (seq: number, request: BridgeRequest) => {
    let reply: BridgeReply;
    let transfer: ArrayBuffer[] = [];
    let recycle: ArrayBuffer[] = [];
    try {
      const result = await handler(request.op, request.args);
      reply = { ok: true, value: result.value };
      transfer = result.transfer ?? [];
      recycle = (result.recycle ?? []).filter((b) => !transfer.includes(b) && b.byteLength > 0);
    } catch (error) {
      reply = { ok: false, error: errorToData(error) };
    }
    if (recycle.length === 0 && writeMessage(arena, planMessage(reply))) Atomics.store(control, REPLY_LANE, ARENA);
    else {
      try {
        port.postMessage({ ...reply, recycled: recycle }, [...transfer, ...recycle]);
      } catch {
        port.postMessage(reply); // a buffer that cannot move (e.g. owned by a native engine) is copied
      }
      Atomics.store(control, REPLY_LANE, PORT);
    }
    Atomics.store(control, REPLY, seq);
    Atomics.notify(control, REPLY);
    // The guest's next call often follows within µs: catch it before the event loop sleeps.
    if (CAN_SPIN && bridgesServed === 1) (LEAVES_WORK_RUNNING.has(request.op) ? briefSpin : hostSpin).spin(() => Atomics.load(control, REQUEST) === seq);
  };

  port.on('message', (message: { seq: number; request: BridgeRequest }) => void answer(message.seq, message.request));

  bridgesServed++;
  void answerEachRequest(control, { request: REQUEST, closed: CLOSED }, (seq) => answer(seq, readMessage(arena) as BridgeRequest));

  return () => {
    if (!Atomics.load(control, CLOSED)) bridgesServed--;
    Atomics.store(control, CLOSED, 1);
    Atomics.notify(control, REQUEST);
  };
}
