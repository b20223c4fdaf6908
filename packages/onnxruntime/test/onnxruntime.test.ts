// The shared onnxruntime layer on its own: session options through core's option kit, sessions
// for load requests, tensor conversion, and that it is a library rather than a backend. Models come
// from the fixture builder; oracles are hand-computed values.
import { defineOptions, tensorFrom, tensorView, type LoadRequest } from '@wacs/core/backend';
import { findBackendManifest } from '@wacs/core/backend/node';
import { buildOnnxModelWithExternalData, linearModel } from '@wacs/fixtures';
import { describe, expect, it } from 'vitest';
import { createSession, fromOrtTensor, modelOrigin, originSessionOptions, ortSessionOptions, SESSION_OPTIONS, SESSION_OPTIONS_AT_LOAD, sessionSettingsOf, toOrtTensor } from '../src/index.js';

const request = (bytes: Uint8Array): LoadRequest => ({ source: { kind: 'bytes', builders: [bytes] }, encoding: 'onnx', target: 'cpu', options: {} });

describe('@wacs/onnxruntime', () => {
  it('declares the session options once, thread cap included, for any backend to spread into its own spec', () => {
    const options = defineOptions('test', { ...SESSION_OPTIONS }, { cores: () => 2 });
    const { values } = options.parse({ intra_op_threads: 2, graph_optimization_level: 'basic', execution_providers: 'cpu' }, 'command-line');
    expect(sessionSettingsOf(values)).toEqual({ intraOpThreads: 2, optimizationLevel: 'basic', providers: ['cpu'] });
    expect(() => options.parse({ intra_op_threads: 3 }, 'metadata')).toThrow(/3 is more threads than this machine's 2 cores/);
    expect(() => options.parse({ execution_mode: 'fast' }, 'command-line')).toThrow(/one of sequential, parallel/);
    expect(Object.values(SESSION_OPTIONS_AT_LOAD).every((spec) => spec.when === 'load')).toBe(true);
  });

  it('opens a session for a load request with checked settings and converts tensors both ways', async () => {
    // y = x W + b with W = [[1, 2], [3, 4]], b = [0.5, -1]: x = [1, 1] gives [4.5, 5].
    const session = await createSession(request(linearModel([[1, 2], [3, 4]], [0.5, -1])), { intraOpThreads: 1 });
    try {
      const x = await toOrtTensor('x', tensorFrom('FP32', [1, 2], Float32Array.of(1, 1)), 'float32');
      const { y } = await session.run({ x });
      const out = fromOrtTensor('y', y!);
      expect(out.tensor.dimensions).toEqual([1, 2]);
      expect(Array.from(tensorView(out.tensor) as Float32Array)).toEqual([4.5, 5]);
    } finally {
      await session.release();
    }
  });

  it("keeps onnxruntime's pool threads from spinning after a run unless spin_wait asks for it", async () => {
    const spinning = (options: ReturnType<typeof ortSessionOptions>) => (options.extra as { session: { intra_op: { allow_spinning: string }; inter_op: { allow_spinning: string } } }).session;
    expect(spinning(ortSessionOptions({}))).toMatchObject({ intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } });
    const options = defineOptions('test', { ...SESSION_OPTIONS }, { cores: () => 2 });
    const asked = sessionSettingsOf(options.parse({ spin_wait: true }, 'command-line').values);
    expect(spinning(ortSessionOptions(asked))).toMatchObject({ intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '1' } });
    // A model from bytes keeps both its external-data folder and the spinning setting.
    const fromBytes = originSessionOptions({ kind: 'bytes', bytes: new Uint8Array(), folder: '/models' }, {});
    expect(spinning(fromBytes)).toMatchObject({ intra_op: { allow_spinning: '0' }, model_external_initializers_file_folder_path: '/models' });
    // onnxruntime takes both settings: sessions open and compute (y = x W + b, by hand: [4.5, 5]).
    for (const spinWait of [false, true]) {
      const session = await createSession(request(linearModel([[1, 2], [3, 4]], [0.5, -1])), { intraOpThreads: 2, spinWait });
      try {
        const { y } = await session.run({ x: await toOrtTensor('x', tensorFrom('FP32', [1, 2], Float32Array.of(1, 1)), 'float32') });
        expect(Array.from(tensorView(fromOrtTensor('y', y!).tensor) as Float32Array)).toEqual([4.5, 5]);
      } finally {
        await session.release();
      }
    }
  });

  it('refuses guest bytes whose model names external data (host files), and bytes that are no protobuf', () => {
    const spec = {
      inputs: [{ name: 'x', type: 'float' as const, shape: [2] }],
      outputs: [{ name: 'y', type: 'float' as const, shape: [2] }],
      initializers: [{ name: 'w', type: 'float' as const, dims: [2], data: Float32Array.of(1, 2) }],
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    };
    const { model } = buildOnnxModelWithExternalData(spec, '/etc/hostname');
    expect(() => modelOrigin(request(model))).toThrow(/cannot use external data/);
    expect(() => modelOrigin(request(Uint8Array.of(0xff, 0xff, 0xff)))).toThrow(expect.objectContaining({ code: 'invalid-encoding' }));
  });

  it('is a library, not a backend: its package.json has no wacs.backend, so wacs does not list it', () => {
    expect(findBackendManifest(new URL('..', import.meta.url).pathname)).toBeUndefined();
  });
});
