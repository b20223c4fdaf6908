// jco's bindings, rewritten so a copy out of a shared guest memory is a plain ArrayBuffer. Oracle:
// ArrayBuffer#slice itself, on the same bytes and indices.
import { describe, expect, it } from 'vitest';
import { unshareListCopies } from '../src/runner/guest-memory-sharing.js';

/** Runs rewritten bindings that copy `memory0.buffer.slice(start, end)` and returns the copy. */
function copyWith(start: number, end: number, memory0: WebAssembly.Memory): ArrayBuffer {
  const bindings = unshareListCopies('return new Uint8Array(memory0.buffer.slice(start, end)).buffer;');
  return new Function('memory0', 'start', 'end', bindings)(memory0, start, end) as ArrayBuffer;
}

describe('unshareListCopies', () => {
  const shared = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
  const plain = new WebAssembly.Memory({ initial: 1 });
  for (const memory of [shared, plain]) new Uint8Array(memory.buffer).forEach((_, i, bytes) => (bytes[i] = i % 251));

  it('copies out of a shared memory into a plain ArrayBuffer', () => {
    const copy = copyWith(10, 20, shared);
    expect(copy).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(new Uint8Array(copy))).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    // A copy, not a view: the guest writing afterwards does not change it.
    new Uint8Array(shared.buffer)[10] = 99;
    expect(new Uint8Array(copy)[0]).toBe(10);
    new Uint8Array(shared.buffer)[10] = 10;
  });

  it('keeps ArrayBuffer#slice index rules (clamped, negative from the end, empty when reversed)', () => {
    const size = plain.buffer.byteLength;
    for (const [start, end] of [[0, 0], [5, 3], [size - 4, size + 100], [-8, -2], [-size * 2, 4], [size + 1, size + 9]]) {
      expect(Array.from(new Uint8Array(copyWith(start!, end!, plain))), `${start}..${end}`).toEqual(Array.from(new Uint8Array(plain.buffer.slice(start, end))));
    }
  });

  it('rewrites the copies out of every memory, and refuses bindings that copy some other way', () => {
    const bindings = 'var a = new Uint8Array(memory0.buffer.slice(p, p + n)); var b = new Uint32Array(memory1.buffer.slice(q, q + 4 * m));';
    const out = unshareListCopies(bindings);
    expect(out).toContain('sliceGuestMemory(memory0.buffer, p, p + n)');
    expect(out).toContain('sliceGuestMemory(memory1.buffer, q, q + 4 * m)');
    expect(() => unshareListCopies('var c = view.buffer.slice(0, 4);')).toThrow(/does not know/);
  });
});
