import { describe, expect, it } from 'vitest';
import {
  bf16ToFloat,
  floatToBf16,
  floatToHalf,
  halfToFloat,
  NnError,
  tensorJson,
  tensorText,
  textTensor,
  validateTensor,
  type Tensor,
} from '../src/index.js';

const f32 = (dims: number[], n: number): Tensor => ({ type: 'FP32', dimensions: dims, data: new Uint8Array(n) });

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as NnError).code;
  }
  return undefined;
}

describe('validateTensor', () => {
  it('accepts data whose length is product(dims) x element size', () => {
    expect(codeOf(() => validateTensor(f32([2, 3], 24), 'x'))).toBeUndefined();
    expect(codeOf(() => validateTensor({ type: 'I64', dimensions: [5], data: new Uint8Array(40) }, 'x'))).toBeUndefined();
  });
  it('rejects a wrong data length, naming the tensor and both sizes', () => {
    expect(() => validateTensor(f32([2, 3], 20), 'x')).toThrow(/tensor "x": \[2, 3\] FP32 needs 24 bytes of data but got 20/);
    expect(codeOf(() => validateTensor(f32([2, 3], 20), 'x'))).toBe('invalid-argument');
  });
  it('rejects empty dimensions and ranks over the limit', () => {
    expect(codeOf(() => validateTensor(f32([], 4), 'x'))).toBe('invalid-argument');
    expect(codeOf(() => validateTensor(f32(new Array(17).fill(1), 4), 'x'))).toBe('invalid-argument');
  });
  it('reports a 4 GiB dims product as too-large before looking at the data', () => {
    expect(codeOf(() => validateTensor(f32([65536, 65536], 4), 'x'))).toBe('too-large');
    expect(codeOf(() => validateTensor(f32([1024], 4096), 'x', { maxBytes: 1000, maxRank: 4 }))).toBe('too-large');
  });
  it('rejects dimensions that are not u32', () => {
    expect(codeOf(() => validateTensor(f32([-1, 2], 8), 'x'))).toBe('invalid-argument');
    expect(codeOf(() => validateTensor(f32([1.5], 4), 'x'))).toBe('invalid-argument');
  });
});

describe('16-bit float conversions (values from the IEEE 754 / bfloat16 bit layouts)', () => {
  it('FP16', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(0.1)).toBe(0x2e66);
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
  });
  it('BF16', () => {
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(3.14159)).toBe(0x4049);
    expect(floatToBf16(-0.5)).toBe(0xbf00);
    expect(bf16ToFloat(0x4049)).toBe(3.140625);
  });
});

describe('text and JSON tensors', () => {
  it('round-trip UTF-8 text as U8 tensors', () => {
    const t = textTensor('héllo ✓');
    expect(t.type).toBe('U8');
    expect(t.dimensions).toEqual([t.data.byteLength]);
    expect(tensorText(t)).toBe('héllo ✓');
  });
  it('parse JSON objects: text that is not JSON is invalid-encoding (as in WasmEdge), other JSON invalid-argument', () => {
    expect(tensorJson(textTensor('{"n-predict": 8}'), 'metadata')).toEqual({ 'n-predict': 8 });
    expect(codeOf(() => tensorJson(textTensor('{oops'), 'metadata'))).toBe('invalid-encoding');
    expect(codeOf(() => tensorJson(textTensor('[1]'), 'metadata'))).toBe('invalid-argument');
  });
});
