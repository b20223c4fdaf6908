import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));
const MAX_BACKOFF_MS = 5;

/**
 * Writes all of `data` to a file descriptor from a worker. The host's stdout and stderr are often
 * non-blocking pipes (Node makes them so): a full pipe answers EAGAIN, which must mean "wait", not
 * an exception that would end the guest. Waits in Atomics.wait, which --timeout can interrupt.
 */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  let bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let backoff = 0.05;
  while (bytes.byteLength > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
      backoff = 0.05;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}
