// Fail-over between engines, with engines that fail the ways real ones do: a native package whose
// addon is missing, one bound to another tfjs-core, a backend whose initialisation throws.
import { describe, expect, it } from 'vitest';
import { activateEngine, DEFAULT_CANDIDATES, hardwareVariants, nativeCandidate, tfjs, type EngineCandidate } from '../src/index.js';

const cpu = DEFAULT_CANDIDATES.find((c) => c.name === 'cpu')!;

describe('engine fail-over', () => {
  it('falls through native → wasm → cpu, remembering why each was skipped', async () => {
    const tf = await tfjs();
    const missingAddon = nativeCandidate('tfjs-node-gpu', async () => {
      throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node.');
    });
    const otherCore = nativeCandidate('tfjs-node', async () => ({}));
    tf.registerBackend('broken-wasm', () => {
      throw new Error('WebAssembly.instantiate(): out of memory');
    });
    const brokenWasm: EngineCandidate = { ...DEFAULT_CANDIDATES.find((c) => c.name === 'wasm')!, backend: 'broken-wasm' };
    const candidates = [missingAddon, otherCore, brokenWasm, cpu];

    const state = await activateEngine(tf, candidates);
    expect(state.active).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(state.skipped).toEqual({
      'tfjs-node-gpu': expect.stringMatching(/^@tensorflow\/tfjs-node-gpu failed to load: The Node.js native addon module/),
      'tfjs-node': expect.stringMatching(/registered its kernels with another copy of @tensorflow\/tfjs-core/),
      wasm: expect.stringMatching(/out of memory/),
    });
    expect(hardwareVariants(state, candidates).map((v) => [v.name, v.available, v.active])).toEqual([
      ['tfjs-node-gpu', false, false],
      ['tfjs-node', false, false],
      ['wasm', false, false],
      ['cpu', true, true],
    ]);
  });

  it('an installed native engine wins, and one that registers but fails to start does not shadow the next', async () => {
    const tf = await tfjs();
    const failingGpu = nativeCandidate('tfjs-node-gpu', async () => {
      tf.registerBackend('tensorflow', () => {
        throw new Error('Could not load dynamic library libcudart.so.11.0');
      });
    });
    // Stands in for a working tfjs-node: registers a backend under its name.
    const workingNode = nativeCandidate('tfjs-node', async () => {
      tf.registerBackend('tensorflow', tf.findBackendFactory('cpu')!);
    });
    const state = await activateEngine(tf, [failingGpu, workingNode, ...DEFAULT_CANDIDATES.slice(2)]);
    expect(state.active).toBe('tfjs-node');
    expect(state.skipped).toEqual({ 'tfjs-node-gpu': expect.stringMatching(/libcudart/) });
    expect(hardwareVariants(state).find((v) => v.name === 'wasm')).toMatchObject({ available: true, active: false });
  });

  it('when no engine can start, the error lists every reason', async () => {
    const tf = await tfjs();
    const none: EngineCandidate = { ...cpu, name: 'cpu', backend: 'not-registered' };
    await expect(activateEngine(tf, [none])).rejects.toMatchObject({
      code: 'runtime-error',
      message: expect.stringMatching(/no TensorFlow.js engine could start \(cpu: .*not-registered/),
    });
  });
});
