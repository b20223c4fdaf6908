// The ONNX node-test runner on a folder of ONNX-style node tests made here (fresh clone): the guest
// loads, computes and compares; expected outputs are hand-computed, some deliberately wrong.
import { floatToBf16 } from '@wacs/core/backend';
import { addModel, buildOnnxModel, castModel, encodeTensorProto, identityModel, guest, type TensorValues } from '@wacs/fixtures';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runOnnxNodeTests, type NodeTestsReport } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'wacs-onnx-node-tests-'));

function writeTest(name: string, model: Uint8Array, inputs: TensorValues[], outputs: TensorValues[]): void {
  const set = join(root, name, 'test_data_set_0');
  mkdirSync(set, { recursive: true });
  writeFileSync(join(root, name, 'model.onnx'), model);
  inputs.forEach((t, i) => writeFileSync(join(set, `input_${i}.pb`), encodeTensorProto(t)));
  outputs.forEach((t, i) => writeFileSync(join(set, `output_${i}.pb`), encodeTensorProto(t)));
}

const a = Float32Array.of(1, 2.5, -3);
const b = Float32Array.of(0.5, 0.25, 3);
const sum = Float32Array.of(1.5, 2.75, 0);
const floats = (name: string, values: Float32Array): TensorValues => ({ name, type: 'float', dims: [3], values });
const expected: Record<string, NodeTestsReport['results'][number]['status']> = {};

beforeAll(() => {
  writeTest('test_add_exact', addModel('float', [3]), [floats('a', a), floats('b', b)], [floats('sum', sum)]);
  // Within rtol 1e-3 of the true sums (but not equal): still a pass, as in ONNX's runner.
  writeTest('test_add_within_tolerance', addModel('float', [3]), [floats('a', a), floats('b', b)], [floats('sum', Float32Array.of(1.5 * 1.0009, 2.75 * 0.9991, 0))]);
  writeTest('test_add_wrong', addModel('float', [3]), [floats('a', a), floats('b', b)], [floats('sum', Float32Array.of(1.5, 2.76, 0))]);
  writeTest(
    'test_add_int8',
    addModel('int8', [2]),
    [
      { name: 'a', type: 'int8', dims: [2], values: Int8Array.of(-100, 50) },
      { name: 'b', type: 'int8', dims: [2], values: Int8Array.of(-28, 77) },
    ],
    [{ name: 'sum', type: 'int8', dims: [2], values: Int8Array.of(-128, 127) }],
  );
  const f = Float32Array.of(1.00390625, -7.3, 1e-3);
  writeTest('test_cast_to_bf16', castModel('float', 'bfloat16', [3]), [floats('x', f)], [{ name: 'y', type: 'bfloat16', dims: [3], values: Uint16Array.from(f, floatToBf16) }]);
  const words = (name: string): TensorValues => ({ name, type: 'string', dims: [2, 1], values: ['wasi', 'nn'] });
  writeTest('test_identity_string', identityModel('string', [2, 1]), [words('x')], [words('y')]);
  writeTest(
    'test_sequence_input',
    buildOnnxModel({
      inputs: [{ name: 's', type: 'float', shape: [3], sequence: true }],
      outputs: [{ name: 'n', type: 'int64', shape: [] }],
      nodes: [{ op: 'SequenceLength', inputs: ['s'], outputs: ['n'] }],
    }),
    [],
    [],
  );
  writeTest(
    'test_cast_to_float8',
    buildOnnxModel({
      inputs: [{ name: 'x', type: 'float', shape: [3] }],
      outputs: [{ name: 'y', type: 'float8e4m3fn', shape: [3] }],
      nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attributes: { to: { i: 17 } } }],
      opsets: { '': 21 },
      irVersion: 10,
    }),
    [floats('x', f)],
    [],
  );
  mkdirSync(join(root, 'test_not_a_model'));
  writeFileSync(join(root, 'test_not_a_model', 'model.onnx'), '\x08\x07 this is not protobuf');
  mkdirSync(join(root, 'test_not_a_model', 'test_data_set_0'));
  mkdirSync(join(root, 'not_a_test'));
  Object.assign(expected, {
    test_add_exact: 'pass',
    test_add_within_tolerance: 'pass',
    test_add_int8: 'pass',
    test_cast_to_bf16: 'pass',
    test_identity_string: 'pass',
    test_add_wrong: 'fail',
    test_not_a_model: 'fail',
    test_sequence_input: 'skip',
    test_cast_to_float8: 'skip',
  });
  guest('onnx-conformance'); // fails early with a clear message if the guest is not built
});

describe('runOnnxNodeTests', () => {
  it('passes, fails and skips each test for the right reason, in one guest run', async () => {
    const seen: string[] = [];
    const report = await runOnnxNodeTests(root, { onResult: (r) => seen.push(r.test) });
    const byName = Object.fromEntries(report.results.map((r) => [r.test, r]));
    expect(Object.fromEntries(report.results.map((r) => [r.test, r.status]))).toEqual(expected);
    expect(seen.sort()).toEqual(Object.keys(expected).sort());
    expect(byName.test_add_wrong!.reason).toBe('test_data_set_0: output "sum": 1 of 3 elements differ (element 1 is 2.75, expected 2.759999990463257)');
    expect(byName.test_not_a_model!.reason).toMatch(/^load: wasi-nn error invalid-encoding: the model is not a valid ONNX protobuf: /);
    expect(byName.test_sequence_input!.reason).toBe('input "s" is a sequence; wasi:nn carries tensors only');
    expect(byName.test_cast_to_float8!.reason).toBe('output "y" is ONNX float8e4m3fn, which no wasi:nn type carries');
    expect(report.summary).toBe('5 passed, 2 failed, 2 skipped');
  });

  it('the bin script prints a line per test and the summary, and exits 1 when a test failed', () => {
    const bin = join(import.meta.dirname, '../dist/node-tests-cli.js');
    const run = spawnSync(process.execPath, [bin, root, '--only', 'test_add_exact,test_add_wrong,test_sequence_input'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual([
      expect.stringMatching(/^FAIL test_add_wrong: test_data_set_0: output "sum": 1 of 3 elements differ/),
      expect.stringMatching(/^PASS test_add_exact \([\d.]+ ms\)$/),
      'SKIP test_sequence_input: input "s" is a sequence; wasi:nn carries tensors only',
    ]);
    expect(lines.at(-1)).toBe('1 passed, 1 failed, 1 skipped');
  });
});
