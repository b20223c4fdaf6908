import { describe, expect, it } from 'vitest';
import { NnError, NnHost, BackendRegistry, ModelRegistry, modelLoadError, toNnError, type Backend } from '../src/index.js';

describe('toNnError', () => {
  it('passes an NnError through as it is', () => {
    const error = new NnError('not-found', 'no such model', 'model-not-found');
    expect(toNnError(error, 'runtime-error', 'load')).toBe(error);
    expect(modelLoadError(error, 'load')).toBe(error);
  });

  it('wraps other errors with the given code and context, keeping the error as the cause', () => {
    const boom = new TypeError('boom');
    const plain = toNnError(boom, 'runtime-error', 'compute');
    expect([plain.code, plain.message, plain.cause]).toEqual(['runtime-error', 'compute: boom', boom]);
  });

  it("knows an NnError from another copy of core (a page's guest worker bundles core, and each backend bundle brings one)", async () => {
    // A second instance of the module, as a second bundle would hold.
    const secondCopy = '../src/errors.js?another-copy';
    const other = (await import(/* @vite-ignore */ secondCopy)) as typeof import('../src/errors.js');
    expect(other.NnError).not.toBe(NnError);
    const theirs = new other.NnError('too-large', 'a tensor too large', 'prompt-too-long');
    expect(theirs instanceof NnError).toBe(true);
    expect(toNnError(theirs, 'runtime-error', 'compute')).toBe(theirs);
    expect(new NnError('timeout', 'later') instanceof other.NnError).toBe(true);
    // Subclasses keep the prototype test: an NnError is not every subclass.
    class ConstraintError extends NnError {}
    expect(new NnError('invalid-argument', 'x') instanceof ConstraintError).toBe(false);
    expect(new ConstraintError('invalid-argument', 'x') instanceof ConstraintError).toBe(true);
    expect(new ConstraintError('invalid-argument', 'x') instanceof NnError).toBe(true);
  });

  it('treats a look-alike named NnError as any other error (backends share the host\'s core as a peer dependency)', () => {
    const lookAlike = Object.assign(new Error('odd'), { name: 'NnError', code: 'not-found' });
    const wrapped = toNnError(lookAlike, 'runtime-error', 'load');
    expect([wrapped.code, wrapped.message]).toEqual(['runtime-error', 'load: odd']);
  });

  it('lets a guest see the code a backend threw', async () => {
    const backend: Backend = {
      name: 'throws',
      encodings: ['onnx'],
      async load() {
        throw new NnError('invalid-encoding', 'not a model');
      },
    };
    const registry = new BackendRegistry();
    registry.register(backend);
    const session = new NnHost(registry, new ModelRegistry(), { log: () => {} }).session();
    await expect(session.load([Uint8Array.of(1, 2, 3)], 'onnx', 'cpu')).rejects.toMatchObject({ code: 'invalid-encoding', message: 'not a model' });
  });
});
