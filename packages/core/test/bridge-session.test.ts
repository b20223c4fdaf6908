// The host side of the bridge (serveSession): every operation answered from the guest's session
// through the typed table, errors as wasi-nn errors, and names outside the table refused. Requests
// arrive as a worker posts those too large for the arena; an arena too small for any reply sends
// every answer back by the port, where the test reads it.
import type { MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createBridgeMemory } from '../src/bridge/channel.js';
import type { BridgeArgs, BridgeOp } from '../src/bridge/operations.js';
import { serveSession } from '../src/bridge/session-server.js';
import { unpackSteps } from '../src/bridge/stream-wire.js';
import { BackendRegistry, ModelRegistry, NnHost, textTensor, type Backend, type NamedTensor } from '../src/index.js';

type Reply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

/** A backend whose compute doubles each byte of every input, and whose stream yields "a", "b". */
const doubler: Backend = {
  name: 'doubler',
  encodings: ['onnx'],
  async load() {
    return {
      createContext: () => ({
        compute: async (inputs: NamedTensor[]) => inputs.map(({ name, tensor }) => ({ name, tensor: { ...tensor, data: tensor.data.map((b) => b * 2) } })),
        async *stream() {
          yield [{ name: '0', tensor: textTensor('a') }];
          yield [{ name: '0', tensor: textTensor('b') }];
          return [];
        },
        dispose() {},
      }),
      dispose() {},
    };
  },
};

function serve() {
  const registry = new BackendRegistry();
  registry.register(doubler);
  const models = new ModelRegistry();
  models.add('m', { path: new URL(import.meta.url).pathname, encoding: 'onnx' });
  const session = new NnHost(registry, models, { log: () => {} }).session();
  let deliver!: (message: { seq: number; request: { op: string; args: unknown[] } }) => void;
  const waiting: Array<(reply: { reply: Reply; transfer: unknown[] }) => void> = [];
  const port = {
    on: (_event: string, listener: typeof deliver) => (deliver = listener),
    postMessage: (reply: Reply, transfer: unknown[] = []) => waiting.shift()!({ reply, transfer }),
  } as unknown as MessagePort;
  const stop = serveSession(port, createBridgeMemory(16), session);
  let seq = 0;
  const send = (op: string, args: unknown[]) =>
    new Promise<{ reply: Reply; transfer: unknown[] }>((resolve) => {
      waiting.push(resolve);
      deliver({ seq: ++seq, request: { op, args } });
    });
  /** A request typed as a worker's BridgeClient.call is. */
  const request = <Op extends BridgeOp>(op: Op, args: BridgeArgs<Op>) => send(op, args);
  return { request, send, stop };
}

const value = ({ reply }: { reply: Reply }) => (reply.ok ? reply.value : reply.error);
const u8 = (...bytes: number[]): NamedTensor => ({ name: 'x', tensor: { type: 'U8', dimensions: [bytes.length], data: Uint8Array.from(bytes) } });

describe('serveSession', () => {
  it('answers each operation from the session, moving output buffers to the worker', async () => {
    const { request, stop } = serve();
    try {
      const graph = value(await request('loadByName', ['m'])) as number;
      const context = value(await request('initContext', [graph])) as number;
      expect(value(await request('inThread', [graph]))).toBeNull();
      const computed = await request('compute', [context, [u8(1, 2, 3)]]);
      const outputs = value(computed) as NamedTensor[];
      expect(Array.from(outputs[0]!.tensor.data)).toEqual([2, 4, 6]);
      expect(computed.transfer).toEqual([outputs[0]!.tensor.data.buffer]);
      expect(value(await request('peekOutputs', [context, []]))).toBeNull(); // the doubler has no peek
      const steps = unpackSteps(value(await request('streamSteps', [context, [], 64])) as Uint8Array);
      expect(steps.map((s) => (s ? new TextDecoder().decode(s[0]!.tensor.data) : null))).toEqual(['a', 'b', null]);
      expect(value(await request('streamEnd', [context]))).toBeUndefined();
      // A stream ended early starts afresh on the next step.
      const again = unpackSteps(value(await request('streamSteps', [context, [], 1])) as Uint8Array);
      expect(again.map((s) => (s ? new TextDecoder().decode(s[0]!.tensor.data) : null))).toEqual(['a']);
      expect(value(await request('dropContext', [context]))).toBeUndefined();
      expect(value(await request('dropGraph', [graph]))).toBeUndefined();
      expect(value(await request('dropGraph', [graph]))).toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/graph/) });
    } finally {
      stop();
    }
  });

  it('refuses an operation that is not in the table, including names every object has', async () => {
    const { send, stop } = serve();
    try {
      for (const op of ['nope', 'toString', 'constructor', '__proto__']) {
        expect(value(await send(op, []))).toMatchObject({ message: `unknown bridge operation ${op}` });
      }
    } finally {
      stop();
    }
  });
});

/** Never run: `pnpm lint` (tsc) fails if a wrong call to the bridge compiles. */
export function wrongCallsDoNotCompile(request: ReturnType<typeof serve>['request']): void {
  // @ts-expect-error compute takes a context handle and the inputs
  void request('compute', [[u8(1)]]);
  // @ts-expect-error loadByName takes a model name
  void request('loadByName', [1]);
  // @ts-expect-error there is no such operation
  void request('computeAll', []);
}
