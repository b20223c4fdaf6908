// The fixture builder (packages/fixtures/src/onnx.ts) for every tensor type: the models it writes
// declare the type onnxruntime reads back, and its TensorProto files round-trip.
import { decodeTensorProto, encodeTensorProto, identityModel, ONNX_TYPES, type OnnxType, type TensorValues } from '@wacs/fixtures';
import { describe, expect, it } from 'vitest';
import { WASI_TYPE_FOR } from '@wacs/onnxruntime';
import { OnnxGraph } from '../src/index.js';
import { loadBytes, ORT_NAMES, ort } from './helpers.js';

const SAMPLES: Record<string, TensorValues['values']> = {
  float: Float32Array.of(1.5, -0),
  double: Float64Array.of(Math.PI, -1e-300),
  float16: Uint16Array.of(0x3c00, 0xfbff),
  bfloat16: Uint16Array.of(0x3f80, 0xff7f),
  uint8: Uint8Array.of(0, 255),
  bool: Uint8Array.of(1, 0),
  int8: Int8Array.of(-128, 127),
  uint16: Uint16Array.of(0, 65535),
  int16: Int16Array.of(-32768, 32767),
  int32: Int32Array.of(-(2 ** 31), 2 ** 31 - 1),
  uint32: Uint32Array.of(0, 2 ** 32 - 1),
  int64: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n),
  uint64: BigUint64Array.of(0n, 2n ** 64n - 1n),
  string: ['', 'wasi:nn ✓'],
};

describe('fixture builder: every tensor type', () => {
  for (const type of Object.keys(ORT_NAMES) as OnnxType[]) {
    it(`${type}: an identity model whose input and output onnxruntime reads as ${ORT_NAMES[type]}`, async () => {
      const model = identityModel(type, [2, 'N']);
      if (type === 'bfloat16') {
        // onnxruntime-node cannot describe bfloat16 I/O; the backend's view of the model can.
        const graph = (await loadBytes(model)) as OnnxGraph;
        expect(graph.inputs.map((i) => [i.name, i.type, i.shape])).toEqual([['x', 'bfloat16', [2, 'N']]]);
        await graph.dispose();
        return;
      }
      const session = await ort.InferenceSession.create(model);
      expect(session.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: ORT_NAMES[type], shape: [2, 'N'] }]);
      expect(session.outputMetadata).toEqual([{ name: 'y', isTensor: true, type: ORT_NAMES[type], shape: [2, 'N'] }]);
      expect(WASI_TYPE_FOR[ORT_NAMES[type] as keyof typeof WASI_TYPE_FOR]).toBeDefined();
      await session.release();
    });

    it(`${type}: TensorProto files round-trip`, () => {
      const values = SAMPLES[type]!;
      const decoded = decodeTensorProto(encodeTensorProto({ name: 'v', type, dims: [1, 2], values }));
      expect(decoded.name).toBe('v');
      expect(decoded.type).toBe(type);
      expect(decoded.dims).toEqual([1, 2]);
      expect(Array.from(decoded.values as ArrayLike<unknown>)).toEqual(Array.from(values as ArrayLike<unknown>));
    });
  }

  it('covers every ONNX type the builder knows that wasi:nn can carry', () => {
    const uncarried = ['float8e4m3fn', 'float8e5m2', 'uint4', 'int4'];
    expect(Object.keys(ONNX_TYPES).filter((t) => !uncarried.includes(t)).sort()).toEqual(Object.keys(ORT_NAMES).sort());
  });
});
