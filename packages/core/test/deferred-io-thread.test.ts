// preview2-shim's I/O thread, deferred until a call needs it. Oracle: the threads of this process
// (/proc/self/task), counted before and after the shim is imported and then used.
import { existsSync, readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { deferShimIoThread } from '../src/runner/deferred-io-thread.js';

const threads = () => readdirSync('/proc/self/task').length;
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe.skipIf(!existsSync('/proc/self/task'))('deferShimIoThread (counts threads in /proc, so Linux only)', () => {
  it('leaves the I/O thread unstarted through the import, and starts it for the first call that needs it', async () => {
    deferShimIoThread();
    const before = threads();
    const { monotonicClock } = (await import('@bytecodealliance/preview2-shim/clocks')) as unknown as {
      monotonicClock: { subscribeDuration(ns: bigint): { block(): void } };
    };
    await settle();
    expect(threads()).toBe(before);

    // A timer's pollable lives on the I/O thread: blocking on it works once the thread is up.
    monotonicClock.subscribeDuration(1_000_000n).block();
    expect(threads()).toBe(before + 1);
  });

  it('starts any other worker at once, as a Worker', async () => {
    deferShimIoThread();
    const before = threads();
    const worker = new Worker('setTimeout(() => {}, 1000)', { eval: true });
    expect(worker).toBeInstanceOf(Worker);
    await new Promise((resolve) => worker.once('online', resolve));
    expect(threads()).toBe(before + 1);
    await worker.terminate();
  });
});
