// The process's engine on this machine: the native packages are not installed (optional peers), so
// auto passes over them, says why, and runs on WebAssembly.
import { describe, expect, it } from 'vitest';
import { engine, hardwareVariants, tfjsBackend } from '../src/index.js';

describe('engine selection (real packages)', () => {
  it('an engine asked for by name that is not installed fails with unsupported-operation, and the failure is not kept', async () => {
    await expect(engine('tfjs-node')).rejects.toMatchObject({
      code: 'unsupported-operation',
      message: expect.stringMatching(/engine "tfjs-node" is not available: .*not installed \(optional: npm install @tensorflow\/tfjs-node@4\.22\.0\)/),
    });
  });

  it('auto passes over the missing native packages, remembers why, and runs on wasm with SIMD', async () => {
    const state = await engine();
    expect(state.active).toBe('wasm');
    expect(state.tf.getBackend()).toBe('wasm');
    expect(state.skipped).toEqual({
      'tfjs-node-gpu': expect.stringMatching(/not installed/),
      'tfjs-node': expect.stringMatching(/not installed/),
    });
    expect(state.detail).toMatch(/^WebAssembly SIMD, 1 thread/);
  });

  it('hardware() shows which engine is active, why the others are not, and that cpu remains available', async () => {
    const variants = await tfjsBackend.hardware!();
    expect(variants).toEqual(hardwareVariants(await engine()));
    expect(variants.map((v) => [v.name, v.available, v.active])).toEqual([
      ['tfjs-node-gpu', false, false],
      ['tfjs-node', false, false],
      ['wasm', true, true],
      ['cpu', true, false],
    ]);
  });

  it('a model asking for another engine than the running one is refused', async () => {
    await expect(engine('cpu')).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/already runs TensorFlow.js on "wasm"/) });
    expect((await engine('wasm')).active).toBe('wasm');
  });
});
