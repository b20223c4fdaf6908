/**
 * The sync bridge between a guest's Web Worker and the page, core's design (packages/core/src/
 * bridge/channel.ts) in the browser's terms: the guest's wasi:nn calls are synchronous and the engines
 * asynchronous, so the worker writes a request into shared memory and blocks in `Atomics.wait`
 * while the page (woken by `Atomics.waitAsync`) runs the backend and writes the reply.
 *
 * A blocked worker cannot receive a message, so unlike Node (which has `receiveMessageOnPort`)
 * every request and reply travels in shared memory: a growable SharedArrayBuffer, grown to fit the
 * largest tensor. Shared memory needs a cross-origin isolated page (COOP and COEP headers).
 */
import { errorFromData, errorToData, NnError, type NnErrorData } from '@wacs/core/backend';
import { answerEachRequest, messageBytes, planMessage, readMessage, writeMessage } from '@wacs/core/browser';

const REQUEST = 0; // sequence number of the last request written
const REPLY = 1; // sequence number of the last request answered
const CLOSED = 2; // set by the page to stop serving

const INITIAL_ARENA = 1 << 20;
/** Growable memory reserves address space only; a message larger than this is refused as too-large. */
const MAX_ARENA = 1 << 30;

export interface BridgeMemory {
  control: SharedArrayBuffer;
  arena: SharedArrayBuffer;
}

export function createBridgeMemory(): BridgeMemory {
  if (typeof SharedArrayBuffer === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    throw new Error(
      'wacs needs a cross-origin isolated page to run guests (SharedArrayBuffer and Atomics.wait): serve it with the headers ' +
        '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"',
    );
  }
  const Growable = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  return { control: new SharedArrayBuffer(12), arena: new Growable(INITIAL_ARENA, { maxByteLength: MAX_ARENA }) };
}

type Reply = { ok: true; value: unknown } | { ok: false; error: NnErrorData };

/** Writes `message` in core's arena layout (arena-message.ts), growing the arena to fit. */
function writeArena(arena: SharedArrayBuffer, message: unknown): void {
  const plan = planMessage(message);
  const needed = messageBytes(plan);
  if (needed > arena.byteLength) {
    if (needed > MAX_ARENA) throw new NnError('too-large', `a wasi:nn message of ${needed} bytes exceeds the bridge's ${MAX_ARENA} bytes`);
    (arena as unknown as { grow(length: number): void }).grow(Math.min(MAX_ARENA, Math.max(needed, arena.byteLength * 2)));
  }
  writeMessage(new Uint8Array(arena), plan);
}

/** Worker side: blocking calls to the page. */
export class BridgeClient {
  private readonly control: Int32Array;
  private seq = 0;

  constructor(private readonly memory: BridgeMemory) {
    this.control = new Int32Array(memory.control);
  }

  call<T>(op: string, args: unknown[]): T {
    if (Atomics.load(this.control, CLOSED)) throw new NnError('runtime-error', 'the page stopped serving wasi:nn');
    const seq = ++this.seq;
    writeArena(this.memory.arena, { op, args });
    Atomics.store(this.control, REQUEST, seq);
    Atomics.notify(this.control, REQUEST);
    for (let answered = Atomics.load(this.control, REPLY); answered !== seq; answered = Atomics.load(this.control, REPLY)) {
      Atomics.wait(this.control, REPLY, answered);
    }
    const reply = readMessage(new Uint8Array(this.memory.arena)) as Reply;
    if (!reply.ok) throw errorFromData(reply.error);
    return reply.value as T;
  }
}

export type BridgeHandler = (op: string, args: unknown[]) => Promise<unknown>;

/** Page side: serves one worker's requests, one at a time (the worker is blocked meanwhile). Returns a stop function. */
export function serveBridge(memory: BridgeMemory, handler: BridgeHandler): () => void {
  const control = new Int32Array(memory.control);
  void answerEachRequest(control, { request: REQUEST, closed: CLOSED }, async (seq) => {
    let reply: Reply;
    try {
      const request = readMessage(new Uint8Array(memory.arena)) as { op: string; args: unknown[] };
      reply = { ok: true, value: await handler(request.op, request.args) };
    } catch (error) {
      reply = { ok: false, error: errorToData(error) };
    }
    try {
      writeArena(memory.arena, reply);
    } catch (error) {
      writeArena(memory.arena, { ok: false, error: errorToData(error) });
    }
    Atomics.store(control, REPLY, seq);
    Atomics.notify(control, REPLY);
  });
  return () => {
    Atomics.store(control, CLOSED, 1);
    Atomics.notify(control, REQUEST);
  };
}
