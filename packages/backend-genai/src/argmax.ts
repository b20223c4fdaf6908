/**
 * Argmax over a row of logits: the one loop per generated token that walks the whole vocabulary.
 * A small WebAssembly SIMD kernel finds the largest value (eight fp16 or four fp32 lanes at a
 * time) and then the first index holding it (fp16 in the kernel too: `indexOf` on an Int16Array
 * costs several times the whole max), much faster than a scalar loop in JavaScript; where
 * WebAssembly SIMD is missing, a plain loop does it.
 * Semantics are those of a scalar `>` scan: the lowest index among equal values, NaN never wins.
 *
 * The kernel, assembled with `jco parse argmax.wat -o argmax.wasm` (name section dropped):
 *
 *   (module
 *     (memory (export "memory") 1)
 *     ;; The largest i16 in memory[0, 16 * blocks), eight lanes at a time.
 *     (func (export "max_i16") (param $blocks i32) (result i32)
 *       (local $ptr i32) (local $end i32) (local $acc v128)
 *       (local.set $end (i32.shl (local.get $blocks) (i32.const 4)))
 *       (local.set $acc (v128.const i16x8 -32768 -32768 -32768 -32768 -32768 -32768 -32768 -32768))
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
 *           (local.set $acc (i16x8.max_s (local.get $acc) (v128.load (local.get $ptr))))
 *           (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
 *           (br $next)))
 *       (local.set $acc (i16x8.max_s (local.get $acc) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc))))
 *       (local.set $acc (i16x8.max_s (local.get $acc) (i8x16.shuffle 4 5 6 7 0 1 2 3 8 9 10 11 12 13 14 15 (local.get $acc) (local.get $acc))))
 *       (local.set $acc (i16x8.max_s (local.get $acc) (i8x16.shuffle 2 3 0 1 4 5 6 7 8 9 10 11 12 13 14 15 (local.get $acc) (local.get $acc))))
 *       (i16x8.extract_lane_s 0 (local.get $acc)))
 *     ;; The largest f32 in memory[0, 16 * blocks), four lanes at a time (NaN if there is one).
 *     (func (export "max_f32") (param $blocks i32) (result f32)
 *       (local $ptr i32) (local $end i32) (local $acc v128)
 *       (local.set $end (i32.shl (local.get $blocks) (i32.const 4)))
 *       (local.set $acc (v128.const f32x4 -inf -inf -inf -inf))
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
 *           (local.set $acc (f32x4.max (local.get $acc) (v128.load (local.get $ptr))))
 *           (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
 *           (br $next)))
 *       (local.set $acc (f32x4.max (local.get $acc) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc))))
 *       (local.set $acc (f32x4.max (local.get $acc) (i8x16.shuffle 4 5 6 7 0 1 2 3 8 9 10 11 12 13 14 15 (local.get $acc) (local.get $acc))))
 *       (f32x4.extract_lane 0 (local.get $acc)))
 *     ;; The index of the first i16 in memory[0, 16 * blocks) equal to $value (-1 if none).
 *     (func (export "index_i16") (param $blocks i32) (param $value i32) (result i32)
 *       (local $ptr i32) (local $end i32) (local $target v128) (local $hits v128)
 *       (local.set $end (i32.shl (local.get $blocks) (i32.const 4)))
 *       (local.set $target (i16x8.splat (local.get $value)))
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
 *           (local.set $hits (i16x8.eq (v128.load (local.get $ptr)) (local.get $target)))
 *           (if (v128.any_true (local.get $hits))
 *             (then (return (i32.add (i32.shr_u (local.get $ptr) (i32.const 1)) (i32.ctz (i16x8.bitmask (local.get $hits)))))))
 *           (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
 *           (br $next)))
 *       (i32.const -1)))
 */

const KERNEL = [
  'AGFzbQEAAAABEQNgAX8Bf2ABfwF9YAJ/fwF/AwQDAAECBQMBAAEHKgQGbWVtb3J5AgAHbWF4X2kxNgAAB21heF9mMzIAAQlpbmRl',
  'eF9pMTYAAgr0AgOgAQICfwF7IABBBHQhAv0MAIAAgACAAIAAgACAAIAAgCEDAkADQCABIAJPDQEgAyAB/QAEAP2YASEDIAFBEGoh',
  'AQwACwsgAyADIAP9DQgJCgsMDQ4PAAECAwQFBgf9mAEhAyADIAMgA/0NBAUGBwABAgMICQoLDA0OD/2YASEDIAMgAyAD/Q0CAwAB',
  'BAUGBwgJCgsMDQ4P/ZgBIQMgA/0YAAuDAQICfwF7IABBBHQhAv0MAACA/wAAgP8AAID/AACA/yEDAkADQCABIAJPDQEgAyAB/QAE',
  'AP3pASEDIAFBEGohAQwACwsgAyADIAP9DQgJCgsMDQ4PAAECAwQFBgf96QEhAyADIAMgA/0NBAUGBwABAgMICQoLDA0OD/3pASED',
  'IAP9HwALSwICfwJ7IABBBHQhAyAB/RAhBAJAA0AgAiADTw0BIAL9AAQAIAT9LSEFIAX9UwRAIAJBAXYgBf2EAWhqDwsgAkEQaiEC',
  'DAALC0F/Cw==',
].join('');

interface Kernel {
  memory: WebAssembly.Memory;
  max_i16(blocks: number): number;
  max_f32(blocks: number): number;
  index_i16(blocks: number, value: number): number;
}

let kernel: Kernel | null | undefined;

function simd(): Kernel | null {
  if (kernel === undefined) {
    const bytes = Uint8Array.from(atob(KERNEL), (c) => c.charCodeAt(0));
    kernel = WebAssembly.validate(bytes) ? (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Kernel) : null;
  }
  return kernel;
}

/** The kernel's memory as `count` elements of `T`, grown when a row does not fit. */
function scratch<T extends Int16Array | Float32Array>(k: Kernel, Type: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number }, count: number): T {
  const bytes = count * Type.BYTES_PER_ELEMENT;
  const missing = Math.ceil((bytes - k.memory.buffer.byteLength) / 65536);
  if (missing > 0) k.memory.grow(missing);
  return new Type(k.memory.buffer as ArrayBuffer, 0, count);
}

/** Scalar argmax of data[offset, offset + n). */
export function argmaxScalar(data: Float32Array | Int16Array, offset: number, n: number): number {
  let best = 0;
  let bestValue = -Infinity; // not data[offset]: a NaN there would never be beaten
  for (let i = 0; i < n; i++) {
    const v = data[offset + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** Index (from `offset`) of the largest of data[offset, offset + n). */
export function argmaxF32(data: Float32Array, offset = 0, n = data.length - offset): number {
  const k = simd();
  if (!k || n === 0) return argmaxScalar(data, offset, n);
  const blocks = Math.ceil(n / 4);
  const row = scratch(k, Float32Array, blocks * 4);
  row.set(data.subarray(offset, offset + n));
  row.fill(-Infinity, n);
  const max = k.max_f32(blocks);
  // NaN: indexOf finds none; the scalar scan skips it.
  const index = Number.isNaN(max) ? -1 : data.indexOf(max, offset);
  return index < 0 || index >= offset + n ? argmaxScalar(data, offset, n) : index - offset;
}

/** Index (from `offset`) of the largest of halves[offset, offset + n), compared as int16. */
export function argmaxI16(halves: Int16Array, offset: number, n: number): number {
  const k = simd();
  if (!k || n === 0) return argmaxScalar(halves, offset, n);
  const blocks = Math.ceil(n / 8);
  const row = scratch(k, Int16Array, blocks * 8);
  row.set(halves.subarray(offset, offset + n));
  row.fill(-32768, n);
  const index = k.index_i16(blocks, k.max_i16(blocks));
  return index >= 0 && index < n ? index : argmaxScalar(halves, offset, n);
}
