/**
 * Component guests that live long run with their linear memory declared shared (compileCoreModules):
 * `wacs run`'s guest, and `wacs serve --reuse-instances`'s instances.
 *
 * Why: under Node 20's V8, once an unshared memory passes about 32 MiB, each `memory.grow` sets off
 * a full collection of the worker's heap (1–2 ms each; `--trace-gc` says "external memory
 * pressure": the grown memory comes in a new ArrayBuffer, which V8 appears to count in full until
 * the old one is swept). 500 one-page grows of an 80 MiB memory took 640 ms, of a shared one 7.
 * A StarlingMonkey guest grows its memory a page at a time as its own heap fills, so an instance
 * serving requests, or a guest computing in a loop, ran a collection every few calls: a reused
 * `wacs serve` instance spent about half its CPU on them. A shared memory grows in place.
 *
 * Why not always: V8 does not appear to count a shared memory as external memory at all, so
 * nothing hurries the collection of dead instances' memories. `wacs serve` making a fresh instance
 * per request (its default) left the host at 1.5 GiB after 1,000 requests with shared memories,
 * 0.8 GiB with ordinary ones; such an instance is gone before its memory grows far anyway.
 *
 * What it takes: jco's bindings copy lists out of guest memory with `memory0.buffer.slice(…)`,
 * which on a shared memory makes another SharedArrayBuffer. Native engines cannot take those
 * (N-API refuses them as tensor data), and posted to another thread they would share the guest's
 * memory instead of copying it. `unshareListCopies` makes those copies plain ArrayBuffers (one
 * of the passes in jco-bindings.ts).
 */

const SLICE = /\bmemory(\d+)\.buffer\.slice\(/g;

/** ArrayBuffer#slice (its index rules included), always into a plain ArrayBuffer. */
const HELPER = `function sliceGuestMemory(buffer, start, end) {
  const length = buffer.byteLength;
  const from = start < 0 ? Math.max(length + start, 0) : Math.min(start, length);
  const to = end < 0 ? Math.max(length + end, 0) : Math.min(end, length);
  return new Uint8Array(buffer, from, Math.max(to - from, 0)).slice().buffer;
}
`;

/** jco's bindings with every copy out of guest memory made into a plain ArrayBuffer. */
export function unshareListCopies(bindings: string): string {
  const rewritten = bindings.replace(SLICE, (_, index: string) => `sliceGuestMemory(memory${index}.buffer, `);
  // A copy written some other way would hand a SharedArrayBuffer to the host: refuse to go on.
  if (/\.buffer\.slice\(/.test(rewritten)) throw new Error('jco bindings copy guest memory in a way wacs does not know; shared guest memory would leak into the host');
  return HELPER + rewritten;
}
