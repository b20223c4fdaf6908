// The kit on a tiny backend: the correct one passes every check, and each deliberate fault is
// caught by the check written for it (and only by the checks that can see it).
import { tensorFrom, type NamedTensor } from '@wacs/core/backend';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECK_IDS, formatReport, outputProblems, runConformance, tensorMismatch, type CheckId, type ConformanceFixtures } from '../src/index.js';
import { doublerModel, FAULTS, makeDoubler, type Fault } from './doubler.js';

const x = (name: string, values: number[], dims = [values.length]): NamedTensor => ({ name, tensor: tensorFrom('FP32', dims, Float32Array.from(values)) });

let fixtures: ConformanceFixtures;

beforeAll(async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'testkit-doubler-')), 'model.dbl');
  await writeFile(path, doublerModel(3));
  fixtures = {
    model: { bytes: doublerModel(3), path, options: { threads: 1 } },
    cases: [
      // Oracles by hand: y = 3x.
      { label: 'a row by name', inputs: [x('x', [1, -2, 0.5])], expect: [x('y', [3, -6, 1.5])] },
      {
        label: 'a matrix by index',
        inputs: [x('0', [1, 2, 3, 4], [2, 2])],
        expect: (outputs) => {
          const y = outputs.find((o) => o.name === 'y');
          const mismatch = y ? tensorMismatch('y', y.tensor, x('y', [3, 6, 9, 12], [2, 2]).tensor) : 'no output y';
          if (mismatch) throw new Error(mismatch);
        },
      },
    ],
    badInputs: [{ label: 'x as I32', inputs: [{ name: 'x', tensor: tensorFrom('I32', [2], Int32Array.of(1, 2)) }] }],
    timeoutMs: 5_000,
  };
});

/** Checks that compute the cases: a wrong or malformed answer shows in each of them. */
const COMPUTING: CheckId[] = ['start-engine', 'load-bytes', 'load-path', 'context-reuse', 'bad-input', 'concurrency', 'stream', 'in-thread', 'dispose'];

const CAUGHT_BY: Record<Fault, { checks: CheckId[]; detail: RegExp }> = {
  'wrong-answer': { checks: COMPUTING, detail: /output "y": element 0 is 4, expected 3|wrong outputs: y: element 0 is 4, expected 3/ },
  'wrong-byte-length': { checks: COMPUTING, detail: /\[3\] FP32 needs 12 bytes, but data has 8|\[2, 2\] FP32 needs 16 bytes, but data has 12/ },
  'plain-error-on-garbage': { checks: ['garbage-bytes', 'garbage-path'], detail: /threw Error: bad magic; throw new NnError\("invalid-encoding" or "runtime-error"/ },
  'greedy-detect': { checks: ['detect-foreign'], detail: /GGUF header \(bytes\): returned true/ },
  'ignores-unknown-options': { checks: ['unknown-option'], detail: /load with option "wacs-conformance-unknown-option": succeeded/ },
  'missing-path-runtime-error': { checks: ['missing-path'], detail: /got NnError\(runtime-error\).*expected code "not-found"/ },
  'shared-state': { checks: ['concurrency'], detail: /^context \d \(.*\) compute 1: (malformed outputs|wrong outputs|output "y": element)/ },
  'double-dispose-throws': { checks: ['dispose'], detail: /a second graph.dispose\(\) of the same graph threw Error: graph already disposed/ },
  'ignores-unknown-input': { checks: ['bad-input'], detail: /unknown input "wacs-conformance-unknown-input"\): succeeded/ },
  'hangs-without-inputs': { checks: ['bad-input'], detail: /check bad-input did not finish within 5000 ms/ },
  'poisoned-after-error': { checks: ['bad-input'], detail: /after the refused "no inputs" on the same context: compute threw NnError\(runtime-error\)/ },
  'stream-final-differs': { checks: ['stream'], detail: /the stream's return value for a row by name: output "y": element 0 is 6, expected 3/ },
  'bad-hardware': { checks: ['hardware'], detail: /variant js is active but not available/ },
  'start-engine-once-only': { checks: ['start-engine'], detail: /^startEngine\(\) twice at once threw Error: the engine is already started$/ },
  'twin-differs': { checks: ['in-thread'], detail: /^a row by name in the thread: output "y": element 0 is 6, expected 3/ },
  'twin-init-not-bridgeable': { checks: ['in-thread'], detail: /^inThread\(\): init must be JSON values and Uint8Arrays, which the bridge carries to a worker; it arrives changed$/ },
  'reuses-output-buffer': { checks: ['context-reuse'], detail: /^compute 3 on one context \(a row by name\): compute threw TypeError: Cannot perform %TypedArray%.prototype.set on a detached ArrayBuffer/ },
};

describe('a correct backend', () => {
  it('passes every check, with details that say what was checked', async () => {
    const seen: CheckId[] = [];
    const report = await runConformance(makeDoubler(), fixtures, { onResult: (r) => seen.push(r.id) });
    expect(report.results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.detail}`)).toEqual([]);
    expect(report.passed).toBe(true);
    expect(seen).toEqual([...CHECK_IDS]);
    expect(report.summary).toBe(`doubler: ${CHECK_IDS.length} passed, 0 failed, 0 skipped`);
    const detail = (id: CheckId) => report.results.find((r) => r.id === id)!.detail;
    expect(detail('detect-foreign')).toMatch(/^refused 18 foreign model\(s\)$/);
    expect(detail('bad-input')).toContain('compute(x as I32) → invalid-argument: input "x" must be FP32, got I32');
    expect(detail('stream')).toMatch(/^3 step\(s\)/);
    expect(formatReport(report)).toContain('PASS concurrency');
  });

  it('runs only the checks asked for, and skips what the fixtures rule out', async () => {
    const report = await runConformance(makeDoubler(), { ...fixtures, skip: { stream: 'not this time' } }, { only: ['shape', 'stream', 'missing-path'] });
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['shape', 'pass'],
      ['missing-path', 'pass'],
      ['stream', 'skip'],
    ]);
    expect(report.results[2]!.detail).toBe('skipped by the fixtures: not this time');
  });

  it('skips the bytes check for a path-only model and optional methods that are absent', async () => {
    const { hardware: _h, detect: _d, dispose: _x, ...bare } = makeDoubler();
    const report = await runConformance(bare, { ...fixtures, model: { path: fixtures.model.path, options: { threads: 1 } } });
    const skipped = report.results.filter((r) => r.status === 'skip').map((r) => r.id);
    expect(skipped).toEqual(['hardware', 'detect-own', 'detect-foreign', 'load-bytes', 'backend-dispose']);
    expect(report.passed).toBe(true);
  });
});

describe('a deliberately broken backend', () => {
  it.each(FAULTS)('is caught: %s', async (fault) => {
    const report = await runConformance(makeDoubler(new Set([fault])), fixtures);
    const failed = report.results.filter((r) => r.status === 'fail');
    const { checks, detail } = CAUGHT_BY[fault];
    expect(report.passed).toBe(false);
    expect(failed.map((r) => r.id)).toEqual(checks);
    for (const r of failed) expect(r.detail).toMatch(detail);
  });

  it('with every fault at once fails every check that can see one', async () => {
    const report = await runConformance(makeDoubler(new Set(FAULTS)), fixtures);
    const failed = new Set(report.results.filter((r) => r.status === 'fail').map((r) => r.id));
    const expected = new Set(Object.values(CAUGHT_BY).flatMap((c) => c.checks));
    expect(failed).toEqual(expected);
    expect(report.summary).toMatch(/^doubler: \d+ passed, \d+ failed, 0 skipped$/);
  });

  it('that is not a backend at all fails the shape check and skips the rest', async () => {
    const report = await runConformance({ name: 'not a backend', encodings: ['onnx', 'onnx', 'safetensors'] } as never, fixtures);
    expect(report.results[0]!.status).toBe('fail');
    expect(report.results[0]!.detail).toBe(
      'name must be a non-empty string without spaces, got "not a backend"; unknown encoding(s) safetensors (wasi:nn has openvino, onnx, tensorflow, pytorch, tensorflowlite, ggml, autodetect); encodings has duplicates; load must be a function',
    );
    expect(report.results.slice(1).every((r) => r.status === 'skip')).toBe(true);
  });
});

describe('fixtures and outputs', () => {
  it('rejects fixtures a host could never produce', async () => {
    const backend = makeDoubler();
    await expect(runConformance(backend, { ...fixtures, model: {} })).rejects.toThrow('conformance fixtures: model needs bytes, a path, or both');
    await expect(runConformance(backend, { ...fixtures, cases: [] })).rejects.toThrow('cases needs at least one');
    const short = { name: 'x', tensor: { type: 'FP32' as const, dimensions: [2], data: new Uint8Array(4) } };
    await expect(runConformance(backend, { ...fixtures, cases: [{ inputs: [short], expect: [] }] })).rejects.toThrow('[2] FP32 needs 8 bytes of data but got 4');
  });

  it('names what is wrong with malformed outputs', () => {
    expect(outputProblems('y')).toEqual(['compute must resolve to an array of named tensors, got string "y"']);
    const ok = x('y', [1]);
    expect(outputProblems([ok, ok])).toEqual(['output name "y" appears twice']);
    expect(outputProblems([{ name: '', tensor: { type: 'FP8', dimensions: [1.5], data: [1] } }])).toEqual([
      'output 0 has no name (a non-empty string)',
      'output 0: type "FP8" is not one of FP16, FP32, FP64, BF16, U8, I32, I64',
      'output 0: dimensions must be an array of u32 integers, got [1.5]',
      'output 0: data must be a Uint8Array, got Array',
    ]);
    // A scalar (rank 0) is one element.
    expect(outputProblems([{ name: 's', tensor: { type: 'I64', dimensions: [], data: new Uint8Array(8) } }])).toEqual([]);
  });

  it('compares floats within the tolerance and everything else exactly', () => {
    const f = (v: number) => tensorFrom('FP32', [1], Float32Array.of(v));
    expect(tensorMismatch('y', f(1.00005), f(1))).toBeUndefined();
    expect(tensorMismatch('y', f(1.001), f(1))).toBe('y: element 0 is 1.0010000467300415, expected 1 (rtol 0.0001, atol 0.00001)');
    expect(tensorMismatch('y', f(NaN), f(NaN))).toBeUndefined();
    const i = (v: bigint) => tensorFrom('I64', [1], BigInt64Array.of(v));
    expect(tensorMismatch('n', i(2n ** 62n + 1n), i(2n ** 62n))).toBe('n: element 0 is 4611686018427387905, expected 4611686018427387904');
    expect(tensorMismatch('n', f(1), i(1n))).toBe('n: type FP32, expected I64');
  });
});
