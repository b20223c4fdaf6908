import { describe, expect, it } from 'vitest';
import { NnError, NnHost, BackendRegistry, ModelRegistry, toNnError, type Backend } from '../src/index.js';

/** What an NnError from a second copy of @wacs/core looks like to this one: same shape, another class. */
class OtherCopyNnError extends Error {
  override readonly name = 'NnError';
  constructor(
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

describe('toNnError', () => {
  it('keeps the code and reason of an NnError from another copy of @wacs/core', () => {
    const wrapped = toNnError(new OtherCopyNnError('not-found', 'no such model', 'model-not-found'));
    expect(wrapped).toBeInstanceOf(NnError);
    expect([wrapped.code, wrapped.message, wrapped.reason]).toEqual(['not-found', 'no such model', 'model-not-found']);
  });

  it('wraps other errors, and look-alikes without a wasi:nn code, with the given code', () => {
    expect(toNnError(new OtherCopyNnError('no-such-code', 'odd'), 'runtime-error', 'load').code).toBe('runtime-error');
    const plain = toNnError(new TypeError('boom'), 'runtime-error', 'compute');
    expect([plain.code, plain.message]).toEqual(['runtime-error', 'compute: boom']);
  });

  it('lets a guest see the code a backend with its own @wacs/core threw', async () => {
    const backend: Backend = {
      name: 'other-copy',
      encodings: ['onnx'],
      async load() {
        throw new OtherCopyNnError('invalid-encoding', 'not a model');
      },
    };
    const registry = new BackendRegistry();
    registry.register(backend);
    const session = new NnHost(registry, new ModelRegistry(), { log: () => {} }).session();
    await expect(session.load([Uint8Array.of(1, 2, 3)], 'onnx', 'cpu')).rejects.toMatchObject({ code: 'invalid-encoding', message: 'not a model' });
  });
});
