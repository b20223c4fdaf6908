// The shared onnxruntime layer on its own: session options through core's option kit, sessions
// for load requests, tensor conversion, and that it is a library rather than a backend. Models come
// from the fixture builder; oracles are hand-computed values.
import { defineOptions, tensorFrom, tensorView, type LoadRequest } from '@wacs/core/backend';
import { findBackendManifest } from '@wacs/core/backend/node';
import { buildOnnxModelWithExternalData, linearModel } from '@wacs/fixtures';
import { describe, expect, it } from 'vitest';
import { createSession, fromOrtTensor, modelOrigin, SESSION_OPTIONS, SESSION_OPTIONS_AT_LOAD, sessionSettingsOf, toOrtTensor } from '../src/index.js';

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
