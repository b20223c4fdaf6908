// wasi:nn <-> tfjs tensors: FP32/I32 pass through, other types convert only when every value survives.
import { floatToBf16, floatToHalf, type TensorType } from '@wacs/core/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { engine, fromTfTensor, toTfTensor, type TfModule } from '../src/index.js';
import { wasiTensor } from './fixtures.js';

let tf: TfModule;
beforeAll(async () => {
  ({ tf } = await engine());
});

async function converted(type: TensorType, values: ArrayBufferView, dtype: string | undefined): Promise<[string, number[]]> {
  const count = values.byteLength / (values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const t = toTfTensor(tf, 'in', wasiTensor(type, [count], values), dtype);
  try {
    return [t.dtype, Array.from(await t.data())];
  } finally {
    t.dispose();
  }
}

describe('inputs', () => {
  it('converts every wasi:nn type to float32 when the values are exact', async () => {
    const values = [0, 1, -2.5, 1024];
    expect(await converted('FP32', Float32Array.from(values), 'float32')).toEqual(['float32', values]);
    expect(await converted('FP16', Uint16Array.from(values, floatToHalf), 'float32')).toEqual(['float32', values]);
    expect(await converted('BF16', Uint16Array.from(values, floatToBf16), 'float32')).toEqual(['float32', values]);
    expect(await converted('FP64', Float64Array.from([...values, NaN]), 'float32')).toEqual(['float32', [...values, NaN]]);
    expect(await converted('U8', Uint8Array.from([0, 7, 255]), 'float32')).toEqual(['float32', [0, 7, 255]]);
    expect(await converted('I32', Int32Array.from([-3, 2 ** 24]), 'float32')).toEqual(['float32', [-3, 2 ** 24]]);
    expect(await converted('I64', BigInt64Array.from([-3n, 2n ** 40n]), 'float32')).toEqual(['float32', [-3, 2 ** 40]]);
  });

  it('converts to int32 and bool when the values are exact', async () => {
    expect(await converted('I32', Int32Array.from([-7, 2 ** 31 - 1]), 'int32')).toEqual(['int32', [-7, 2 ** 31 - 1]]);
    expect(await converted('U8', Uint8Array.from([0, 200]), 'int32')).toEqual(['int32', [0, 200]]);
    expect(await converted('I64', BigInt64Array.from([-(2n ** 31n)]), 'int32')).toEqual(['int32', [-(2 ** 31)]]);
    expect(await converted('FP32', Float32Array.from([3, -4]), 'int32')).toEqual(['int32', [3, -4]]);
    expect(await converted('U8', Uint8Array.from([0, 1, 1]), 'bool')).toEqual(['bool', [0, 1, 1]]);
  });

  it('uses the natural dtype when the model declares none', async () => {
    expect((await converted('FP16', Uint16Array.from([floatToHalf(0.5)]), undefined))[0]).toBe('float32');
    expect((await converted('U8', Uint8Array.from([1]), undefined))[0]).toBe('int32');
  });

  it('refuses lossy conversions with invalid-argument, naming the value and what to pass', () => {
    const cases: Array<[TensorType, ArrayBufferView, string, RegExp]> = [
      ['FP64', Float64Array.from([0.1]), 'float32', /FP64 value 0.1 \(element 0\) cannot be converted to the model's float32 without loss; pass FP32/],
      ['I32', Int32Array.from([1, 2 ** 24 + 1]), 'float32', /I32 value 16777217 \(element 1\)/],
      ['I64', BigInt64Array.from([2n ** 31n]), 'int32', /I64 value 2147483648 .*pass I32/],
      ['FP32', Float32Array.from([NaN]), 'int32', /FP32 value NaN/],
      ['FP16', Uint16Array.from([floatToHalf(1.5)]), 'int32', /FP16 value 1.5/],
      ['U8', Uint8Array.from([2]), 'bool', /U8 value 2 .*pass U8 zeros and ones/],
    ];
    for (const [type, values, dtype, message] of cases) {
      const count = values.byteLength / (values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      expect(() => toTfTensor(tf, 'in', wasiTensor(type, [count], values), dtype)).toThrowError(expect.objectContaining({ code: 'invalid-argument', message: expect.stringMatching(message) }));
    }
    expect(() => toTfTensor(tf, 'in', wasiTensor('U8', [1], Uint8Array.of(65)), 'string')).toThrowError(/takes string values, which a wasi:nn tensor cannot carry/);
    expect(tf.memory().numTensors).toBe(0);
  });
});

describe('outputs', () => {
  it('maps float32, int32 and bool, and returns a scalar as [1]', async () => {
    const cases: Array<[ReturnType<TfModule['tensor']>, string, number[]]> = [
      [tf.tensor([[1.5, 2]], [1, 2], 'float32'), 'FP32', [1, 2]],
      [tf.tensor([5, -6], [2], 'int32'), 'I32', [2]],
      [tf.tensor([true, false, true], [3], 'bool'), 'U8', [3]],
      [tf.scalar(4.25), 'FP32', [1]],
    ];
    const outputs = await Promise.all(cases.map(([t], i) => fromTfTensor(String(i), t)));
    expect(outputs.map((o) => [o.tensor.type, o.tensor.dimensions])).toEqual(cases.map(([, type, dims]) => [type, dims]));
    expect(Array.from(outputs[2]!.tensor.data)).toEqual([1, 0, 1]);
    expect(Array.from(new Float32Array(outputs[3]!.tensor.data.slice().buffer))).toEqual([4.25]);
    const text = tf.tensor(['a']);
    await expect(fromTfTensor('s', text)).rejects.toMatchObject({ code: 'unsupported-operation' });
    text.dispose();
    tf.dispose(cases.map(([t]) => t));
  });
});
