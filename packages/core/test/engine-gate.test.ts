// The engine gate between a host and a guest's worker (engine-gate.ts): the host's shut waits out
// a twin call in progress, and once shut no twin call starts, so terminating the worker never cuts
// an engine's native code short. The worker runs the gate's own source (compiled here with esbuild),
// its twin a stand-in whose compute blocks until the test lets it return.
import { transformSync } from 'esbuild';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngineGate, shutEngineGate } from '../src/abi/engine-gate.js';

const gateSource = transformSync(readFileSync(new URL('../src/abi/engine-gate.ts', import.meta.url), 'utf8'), { loader: 'ts', format: 'esm' }).code;

// The guest's side: computes on a gated twin, over and over, as a guest in a loop would.
// counts[0]: computes entered, counts[1]: computes returned; release[0] = 1 lets a compute return.
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
import('data:text/javascript;base64,${Buffer.from(gateSource).toString('base64')}').then(({ gatedOpener }) => {
  const { gate, counts, release } = workerData;
  const c = new Int32Array(counts);
  const r = new Int32Array(release);
  parentPort.postMessage('opening');
  const twin = gatedOpener(() => ({
    createContext: () => ({
      compute: () => {
        Atomics.add(c, 0, 1);
        Atomics.notify(c, 0);
        while (Atomics.load(r, 0) === 0) Atomics.wait(r, 0, 0);
        Atomics.add(c, 1, 1);
        return [];
      },
      dispose() {},
    }),
    dispose() {},
  }), gate)({ module: 'stand-in', init: null });
  const context = twin.createContext();
  for (;;) context.compute([]);
});
`;

const shared = (ints: number) => new Int32Array(new SharedArrayBuffer(ints * 4));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
let worker: Worker | undefined;

afterEach(async () => {
  await worker?.terminate();
  worker = undefined;
});

function startGuest(gate: SharedArrayBuffer, counts: Int32Array, release: Int32Array): Worker {
  return new Worker(workerCode, { eval: true, workerData: { gate, counts: counts.buffer, release: release.buffer } });
}

async function untilEntered(counts: Int32Array, n: number): Promise<void> {
  for (let seen = Atomics.load(counts, 0); seen < n; seen = Atomics.load(counts, 0)) await Atomics.waitAsync(counts, 0, seen, 10_000).value;
}

describe('engine gate', () => {
  it('a shut waits for the twin call in progress to return, and no call starts after it', async () => {
    const gate = createEngineGate();
    const counts = shared(2);
    const release = shared(1);
    worker = startGuest(gate, counts, release);
    await untilEntered(counts, 1);

    let shut = false;
    const shutting = shutEngineGate(gate).then(() => (shut = true));
    await pause(200);
    expect(shut).toBe(false); // the compute has not returned: the host must not end the worker yet
    expect(Atomics.load(counts, 1)).toBe(0);

    Atomics.store(release, 0, 1);
    Atomics.notify(release, 0);
    await shutting;
    expect(Atomics.load(counts, 1)).toBe(1);
    // The guest loops straight into its next compute, which the shut gate keeps out.
    await pause(200);
    expect(Atomics.load(counts, 0)).toBe(1);
    expect(await worker.terminate()).toBe(1);
  });

  it('a shut with no call in progress is at once, and the next call never starts', async () => {
    const gate = createEngineGate();
    await shutEngineGate(gate);
    const counts = shared(2);
    const release = shared(1);
    Atomics.store(release, 0, 1);
    worker = startGuest(gate, counts, release);
    await new Promise((resolve, reject) => worker!.once('message', resolve).once('error', reject));
    await pause(300);
    expect(Atomics.load(counts, 0)).toBe(0);
    expect(await worker.terminate()).toBe(1);
  });
});
