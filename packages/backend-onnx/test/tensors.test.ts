// Every wasi:nn tensor type, and every ONNX type wasi:nn lacks, through the backend; models come
// from the fixture builder (fresh clone), oracles are hand-computed values or onnxruntime directly.
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat, jsonTensor, textTensor, tensorText, type NnError } from '@wacs/core/backend';
import { addModel, buildOnnxModel, castModel, identityModel, type OnnxType } from '@wacs/fixtures';
import { describe, expect, it } from 'vitest';
import { compute, elementsOf, loadBytes, named, ort, ortDirect, tensor } from './helpers.js';

async function add(type: OnnxType, wasi: Parameters<typeof tensor>[0], a: ArrayBufferView, b: ArrayBufferView, n: number) {
  const graph = await loadBytes(addModel(type, [n]));
  const [out] = await compute(graph, [named('a', tensor(wasi, [n], a)), named('b', tensor(wasi, [n], b))]);
  await graph.dispose();
  return out!;
}

describe('the seven wasi:nn types, in and out', () => {
  it('FP32, FP64, I32, I64, U8: Add gives the hand-computed sums in the same type', async () => {
    const f32 = await add('float', 'FP32', Float32Array.of(1.5, -2), Float32Array.of(0.25, 8), 2);
    expect(f32.tensor.type).toBe('FP32');
    expect(elementsOf(f32.tensor)).toEqual([1.75, 6]);
    const f64 = await add('double', 'FP64', Float64Array.of(1e300, 0.1), Float64Array.of(1e300, 0.2), 2);
    expect(elementsOf(f64.tensor)).toEqual([2e300, 0.1 + 0.2]);
    const i32 = await add('int32', 'I32', Int32Array.of(2 ** 30, -7), Int32Array.of(2 ** 30 - 1, 3), 2);
    expect(elementsOf(i32.tensor)).toEqual([2 ** 31 - 1, -4]);
    const i64 = await add('int64', 'I64', BigInt64Array.of(2n ** 60n, -1n), BigInt64Array.of(2n ** 60n, -2n), 2);
    expect(i64.tensor.type).toBe('I64');
    expect(elementsOf(i64.tensor)).toEqual([2n ** 61n, -3n]);
    const u8 = await add('uint8', 'U8', Uint8Array.of(200, 1), Uint8Array.of(55, 2), 2);
    expect(elementsOf(u8.tensor)).toEqual([255, 3]);
  });

  it('FP16: the sums, bit for bit, match onnxruntime run directly on the same float16 tensors', async () => {
    const a = Uint16Array.from([1.5, -2.25, 1000], floatToHalf);
    const b = Uint16Array.from([0.25, 0.5, 24], floatToHalf);
    const out = await add('float16', 'FP16', a, b, 3);
    expect(out.tensor.type).toBe('FP16');
    expect((elementsOf(out.tensor) as number[]).map(halfToFloat)).toEqual([1.75, -1.75, 1024]);
    const direct = await ortDirect(addModel('float16', [3]), { a: new ort.Tensor('float16', a, [3]), b: new ort.Tensor('float16', b, [3]) });
    expect(elementsOf(out.tensor)).toEqual(Array.from(direct.sum!.data as Uint16Array));
  });

  it('BF16: onnxruntime-node cannot load bfloat16 I/O at all; the backend converts, exactly', async () => {
    await expect(ort.InferenceSession.create(identityModel('bfloat16', [3]))).rejects.toThrow(/Unsupported data type: 16/);
    const bits = Uint16Array.from([1.5, -3.140625, 65280], floatToBf16);
    const identity = await loadBytes(identityModel('bfloat16', [3]));
    const [same] = await compute(identity, [named('x', tensor('BF16', [3], bits))]);
    expect(same!.name).toBe('y');
    expect(same!.tensor.type).toBe('BF16');
    expect(elementsOf(same!.tensor)).toEqual(Array.from(bits));

    // Cast bfloat16 → float: the model's own cast, checked against the exact widening.
    const widen = await loadBytes(castModel('bfloat16', 'float', [3]));
    const [wide] = await compute(widen, [named('x', tensor('BF16', [3], bits))]);
    expect(wide!.tensor.type).toBe('FP32');
    expect(elementsOf(wide!.tensor)).toEqual(Array.from(bits, bf16ToFloat));

    // Cast float → bfloat16: onnxruntime rounds to nearest even, as core's floatToBf16 does.
    const values = Float32Array.of(1.00390625, 1.01171875, -2.5e-8, 3.4e38);
    const narrow = await loadBytes(castModel('float', 'bfloat16', [4]));
    const [short] = await compute(narrow, [named('x', tensor('FP32', [4], values))]);
    expect(short!.tensor.type).toBe('BF16');
    expect(elementsOf(short!.tensor)).toEqual(Array.from(values, floatToBf16));
    for (const g of [identity, widen, narrow]) await g.dispose();
  });
});

describe('ONNX types wasi:nn lacks travel as the nearest lossless wasi:nn type', () => {
  it('bool ↔ U8 (0/1)', async () => {
    const model = buildOnnxModel({
      inputs: [
        { name: 'a', type: 'bool', shape: [4] },
        { name: 'b', type: 'bool', shape: [4] },
      ],
      outputs: [{ name: 'and', type: 'bool', shape: [4] }],
      nodes: [{ op: 'And', inputs: ['a', 'b'], outputs: ['and'] }],
    });
    const graph = await loadBytes(model);
    const [out] = await compute(graph, [named('a', tensor('U8', [4], Uint8Array.of(1, 1, 0, 0))), named('b', tensor('U8', [4], Uint8Array.of(1, 0, 1, 0)))]);
    expect(out!.tensor.type).toBe('U8');
    expect(elementsOf(out!.tensor)).toEqual([1, 0, 0, 0]);
    await expect(compute(graph, [named('a', tensor('U8', [4], Uint8Array.of(2, 0, 0, 0))), named('b', tensor('U8', [4], new Uint8Array(4)))])).rejects.toThrow(
      /input "a": the model takes ONNX bool, and 2 is out of its range; send U8 with values 0\.\.1/,
    );
    await graph.dispose();
  });

  it('int8, int16, uint16 ↔ I32, range-checked on the way in', async () => {
    for (const [type, lo, hi] of [
      ['int8', -128, 127],
      ['int16', -32768, 32767],
      ['uint16', 0, 65535],
    ] as const) {
      const out = await add(type, 'I32', Int32Array.of(lo, hi - 5), Int32Array.of(0, 5), 2);
      expect(out.tensor.type).toBe('I32');
      expect(elementsOf(out.tensor)).toEqual([lo, hi]);
      const error = await add(type, 'I32', Int32Array.of(hi + 1, 0), Int32Array.of(0, 0), 2).catch((e: NnError) => e);
      expect((error as NnError).code).toBe('invalid-argument');
      expect((error as NnError).message).toContain(`input "a": the model takes ONNX ${type}, and ${hi + 1} is out of its range; send I32 with values ${lo}..${hi}`);
    }
  });

  it('uint32 and uint64 ↔ I64; a uint64 output over 2^63-1 is an error, not a wrapped value', async () => {
    const u32 = await add('uint32', 'I64', BigInt64Array.of(4294967290n, 1n), BigInt64Array.of(5n, 2n), 2);
    expect(u32.tensor.type).toBe('I64');
    expect(elementsOf(u32.tensor)).toEqual([4294967295n, 3n]);
    const u64 = await add('uint64', 'I64', BigInt64Array.of(2n ** 62n, 1n), BigInt64Array.of(2n ** 62n - 1n, 2n), 2);
    expect(elementsOf(u64.tensor)).toEqual([2n ** 63n - 1n, 3n]);
    await expect(add('uint64', 'I64', BigInt64Array.of(2n ** 62n, 0n), BigInt64Array.of(2n ** 62n, 0n), 2)).rejects.toThrow(
      /output "sum" is ONNX uint64 and holds 9223372036854775808, which does not fit the I64/,
    );
    await expect(add('uint32', 'I64', BigInt64Array.of(-1n, 0n), BigInt64Array.of(0n, 0n), 2)).rejects.toThrow(/out of its range; send I64 with values 0\.\.4294967295/);
  });

  it('string ↔ U8 UTF-8 JSON whose nesting is the shape', async () => {
    const graph = await loadBytes(identityModel('string', [2, 'N']));
    const [out] = await compute(graph, [named('x', jsonTensor([['a', 'ß'], ['', '{"q"}']]))]);
    expect(out!.tensor.type).toBe('U8');
    expect(JSON.parse(tensorText(out!.tensor))).toEqual([['a', 'ß'], ['', '{"q"}']]);
    await expect(compute(graph, [named('x', jsonTensor([['a'], ['b', 'c']]))])).rejects.toThrow(/not rectangular/);
    await expect(compute(graph, [named('x', textTensor('plain text'))])).rejects.toThrow(/input "x": the model takes ONNX string; the U8 tensor is not JSON/);
    await expect(compute(graph, [named('x', jsonTensor(['a', 'b']))])).rejects.toThrow(/input "x": got shape \[2\], but the model expects \[2, N\]/);
    await graph.dispose();
  });

  it('an output type no wasi:nn type holds (int4) is refused before running (onnxruntime-node would abort)', async () => {
    const graph = await loadBytes(
      buildOnnxModel({
        inputs: [{ name: 'x', type: 'float', shape: [2] }],
        outputs: [{ name: 'y', type: 'int4', shape: [2] }],
        nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attributes: { to: { i: 22 } } }],
        opsets: { '': 21 },
        irVersion: 10,
      }),
    );
    const error = (await compute(graph, [named('x', tensor('FP32', [2], Float32Array.of(1, 2)))]).catch((e: NnError) => e)) as NnError;
    expect(error.code).toBe('unsupported-operation');
    expect(error.message).toContain('output "y" is ONNX int4, which wasi:nn cannot carry');
    await graph.dispose();
  });

  it('a tensor of the wrong wasi:nn type names the input, its ONNX type and what to send', async () => {
    const graph = await loadBytes(addModel('int8', [2]));
    const error = (await compute(graph, [named('a', tensor('U8', [2], Uint8Array.of(1, 2))), named('b', tensor('U8', [2], Uint8Array.of(1, 2)))]).catch((e: NnError) => e)) as NnError;
    expect(error.code).toBe('invalid-argument');
    expect(error.message).toBe('input "a": the model takes ONNX int8; got U8; send I32 with values -128..127');
    await graph.dispose();
  });
});

describe('shapes', () => {
  it('a rank-0 input takes dimensions [1]; a rank-0 output comes back as [1]', async () => {
    const graph = await loadBytes(addModel('float', []));
    const [out] = await compute(graph, [named('a', tensor('FP32', [1], Float32Array.of(2))), named('b', tensor('FP32', [1], Float32Array.of(3)))]);
    expect(out!.tensor.dimensions).toEqual([1]);
    expect(elementsOf(out!.tensor)).toEqual([5]);
    await graph.dispose();
  });
});
