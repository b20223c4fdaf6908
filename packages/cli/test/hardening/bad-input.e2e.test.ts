// Bad input, each answered with a clear error while the host keeps serving: every run here does
// the bad calls first and then a correct compute, whose result is checked against the values
// computed by hand. Preview1 (fuzz-preview1 misuse), components (fuzz-misuse), garbage models for
// every backend (bytes from the guest and files by name), and malformed guests. Findings (F…)
// refer to docs/security.md.
import { guest, writeTinyGenaiFolder } from '@wacs/fixtures';
import { EXIT, ModelRegistry, NnHost, runGuest, BackendRegistry } from '@wacs/core';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bind, BACKENDS, fuzzPreview1, importBackend, linear, linearModelDir, netProbe, wacs } from './helpers.js';

const all = bind(...BACKENDS);
const good = linear([[1, 2, 3]]).join(',');
let models: string[];
let modelPath: string;
let dir: string;

/** Deterministic junk (an LCG), so error messages do not change from run to run. */
function junk(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

beforeAll(async () => {
  ({ dir, model: modelPath, models } = linearModelDir('wacs-bad-input-'));
  // Garbage for every backend, as files a person registers by name.
  writeFileSync(join(dir, 'junk.onnx'), junk(3000, 1));
  writeFileSync(join(dir, 'junk.gguf'), Buffer.concat([Buffer.from('GGUF\x03\x00\x00\x00'), junk(3000, 2)]));
  mkdirSync(join(dir, 'genai-config'));
  writeFileSync(join(dir, 'genai-config/genai_config.json'), '{"model": {"type": "llama", ');
  await writeTinyGenaiFolder(join(dir, 'genai-model'));
  writeFileSync(join(dir, 'genai-model/model.onnx'), junk(2000, 3));
  mkdirSync(join(dir, 'tfjs'));
  writeFileSync(join(dir, 'tfjs/model.json'), '{"modelTopology": {"node": [');
  writeFileSync(join(dir, 'junk.pmml'), '<?xml version="1.0"?><PMML version="4.4"><DataDictionary><DataField name="x" optype="continuous" dataType="double"/></DataDictionary><TreeModel functionName="regression"><Node score="1"><True/>');
  writeFileSync(join(dir, 'junk-mljs.json'), '{"name":"RandomForestClassifier","trees":"nope"}');
  models.push(
    ...['onnx=junk.onnx,encoding=onnx,backend=onnx', 'gguf=junk.gguf', 'genai-config=genai-config', 'genai-model=genai-model', 'tfjs=tfjs', 'pmml=junk.pmml', 'mljs=junk-mljs.json,backend=classic'].flatMap(
      (spec) => ['--model', `junk-${spec.replace('=', `=${dir}/`)}`],
    ),
  );
});

/** Lines `<case>: <errno>` the misuse command printed, as a map. */
function cases(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.split('\n').filter((l) => l.includes(': ') && !l.startsWith('good') && !/^(same context|context of)/.test(l)).map((l) => {
    const at = l.lastIndexOf(': ');
    return [l.slice(0, at), l.slice(at + 2)];
  }));
}

describe('preview1: every misuse once, then correct computes (fuzz-preview1 misuse, all five backends bound)', () => {
  it('answers each with the right errno and a message on stderr, and computes correctly after each group', async () => {
    const r = await wacs(['run', fuzzPreview1, ...all, ...models, '--', 'misuse', 'lin']);
    expect(r.code).toBe(0);
    const invalid = 'invalid_argument';
    expect(cases(r.stdout)).toEqual({
      'compute before set_input': invalid,
      'get_output after the failed compute': invalid,
      'set_input wrong length (8 bytes for [1,3] F32)': invalid,
      'set_input 4 GiB dims product ([65536,65536] U8, 1 byte)': invalid,
      'set_input 4 GiB dims product ([65536,16384] F32, 12 bytes)': invalid,
      'set_input dims product past 2^64 ([2^32-1]x4 F32)': 'too_large',
      'set_input unknown type code 9': invalid,
      'set_input rank 17 (valid length)': 'success',
      'compute with the rank-17 input': invalid,
      'set_input wrong type (I32 for F32)': 'success',
      'compute with the wrong type': invalid,
      'set_input wrong shape ([1,4] F32)': 'success',
      'compute with the wrong shape': invalid,
      'set_input wrong rank ([3] F32)': 'success',
      'compute with the wrong rank': invalid,
      'set_input good': 'success',
      'compute good': 'success',
      'set_input at index 5 only': 'success',
      'compute with an input the model lacks': invalid,
      'init_execution_context unknown graph 4242': invalid,
      'set_input unknown context 4242': invalid,
      'compute unknown context 4242': invalid,
      'get_output unknown context 4242': invalid,
      'compute_single unknown context 4242': invalid,
      'fini_single unknown context 4242': invalid,
      'unload unknown graph 4242': invalid,
      'finalize_execution_context unknown context 4242': invalid,
      'unload handle u32::MAX': invalid,
      unload: 'success',
      'init_execution_context after unload': invalid,
      'unload again': invalid,
      'set_input on a context of the unloaded graph': 'success',
      'compute on a context of the unloaded graph': 'success',
      finalize_execution_context: 'success',
      'compute after finalize': invalid,
      'get_output after finalize': invalid,
      'load garbage as openvino': 'invalid_encoding',
      'load garbage as onnx': 'invalid_encoding',
      'load garbage as tensorflow': 'invalid_encoding',
      'load garbage as pytorch': 'invalid_encoding',
      'load garbage as tensorflowlite': 'invalid_encoding',
      'load garbage as autodetect': 'invalid_encoding',
      'load garbage as ggml': 'invalid_encoding',
      'load GGUF magic then garbage as ggml': 'invalid_encoding',
      'load GGUF magic then garbage as autodetect': 'invalid_encoding',
      'load truncated JSON as tensorflow': 'invalid_encoding',
      'load broken PMML as autodetect': 'invalid_encoding',
      'load ml.js JSON of no known model as autodetect': 'invalid_encoding',
      'load 8 empty builders': invalid,
    });
    // The host kept serving: the same context after its bad inputs, a context whose graph was
    // unloaded, and fresh loads after each group all compute y = x·W + b as computed by hand.
    expect(r.stdout).toContain(`same context after misuse: ${good}\n`);
    expect(r.stdout).toContain(`context of the unloaded graph: ${good}\n`);
    expect(r.stdout.match(/^good: .*$/gm)).toEqual([`good: ${good}`, `good: ${good}`]);
    // Every failure told the person running the guest why, naming the function.
    const log = r.stderr.trim().split('\n');
    expect(log).toHaveLength(Object.values(cases(r.stdout)).filter((errno) => errno !== 'success').length);
    for (const line of log) expect(line).toMatch(/^wacs: wasi_ephemeral_nn\.\w+: \S/);
    expect(r.stderr).toContain('[65536, 65536] U8 needs 4294967296 bytes of data but got 1');
    expect(r.stderr).toContain('rank 17 is over the limit of 16');
    expect(r.stderr).toContain('unknown execution context handle 4242');
    expect(r.stderr).toContain('not a valid GGUF model');
    expect(r.stderr).toContain('PMML: the XML does not parse');
  });
});

describe('components: bad steps, then correct ones (fuzz-misuse)', () => {
  it('tensor misuse and use after dispose: each a wasi:nn error code and message, and the same context computes correctly after', async () => {
    const rank17 = Array(17).fill(1).join('x');
    const steps = [
      'name:lin',
      'ctx',
      'compute', // before any input
      'in:x=FP32:1x3:1,2',
      'compute',
      'in:x=U8:65536x65536:bytes=1',
      'compute',
      'in:x=FP32:65536x16384:1,2,3',
      'compute',
      'in:x=FP32:4294967295x4294967295x4294967295:1',
      'compute',
      `in:x=FP32:${rank17}:1`,
      'compute',
      'in:x=I32:1x3:1,2,3',
      'compute',
      'in:x=FP32:1x4:1,2,3,4',
      'compute',
      'in:nope=FP32:1x3:1,2,3',
      'compute',
      'in:x=FP32:1x3:1,2,3',
      'compute',
      'drop-graph', // the context keeps its graph
      'in:x=FP32:1x3:1,2,3',
      'compute',
      'drop-ctx',
      'name:lin',
      'ctx',
      'in:x=FP32:1x3:1,2,3',
      'compute',
    ];
    const r = await wacs(['run', guest('fuzz-misuse'), ...bind('onnx'), ...models, '--', ...steps]);
    expect(r.code).toBe(0);
    const computes = r.stdout.split('\n').filter((l) => l.startsWith('compute: '));
    expect(computes.map((l) => l.replace(/: (\S+) .*$/, ': $1'))).toEqual([
      'compute: error', // no inputs
      'compute: error', // 8 bytes for [1,3] FP32
      'compute: error', // 4 GiB of U8
      'compute: error', // 4 GiB of FP32
      'compute: error', // 2^96 elements
      'compute: error', // rank 17
      'compute: error', // I32 for FP32
      'compute: error', // [1,4]
      'compute: error', // an input the model lacks
      `compute: ok`,
      `compute: ok`,
      `compute: ok`,
    ]);
    expect(computes.slice(0, 9).map((l) => l.split(' ')[2])).toEqual([
      'invalid-argument:',
      'invalid-argument:',
      'too-large:',
      'too-large:',
      'too-large:',
      'invalid-argument:',
      'invalid-argument:',
      'invalid-argument:',
      'invalid-argument:',
    ]);
    expect(r.stdout).toContain('compute: error invalid-argument: missing model input(s): x');
    expect(r.stdout).toContain('[65536, 65536] U8 needs 4294967296 bytes, over the limit of 2147483647');
    expect(r.stdout).toContain('rank 17 is over the limit of 16');
    expect(r.stdout).toContain('the model has no input "nope"');
    for (const line of computes.slice(9)) expect(line).toBe(`compute: ok y FP32 [1,2] ${good}`);
  });

  it('garbage model bytes for every backend, every encoding: invalid-encoding each, then a correct compute', async () => {
    // Printable junk after the magic: it travels as a command-line argument.
    const gguf = `GGUF${Array.from(junk(64, 4), (b) => String.fromCharCode(0x3b + (b % 0x40))).join('')}`;
    const steps = [
      'bytes:onnx:garbage',
      `bytes:ggml:${gguf}`,
      `bytes:autodetect:${gguf}`,
      'bytes:tensorflow:{"modelTopology":{"node":[',
      'bytes:tensorflow:garbage',
      'bytes:autodetect:<?xml version="1.0"?><PMML version="4.4"><TreeModel',
      'bytes:autodetect:{"name":"RandomForestClassifier","trees":"nope"}',
      'bytes:openvino:x',
      'bytes:pytorch:x',
      'bytes:tensorflowlite:x',
      'bytes:autodetect:x',
      'name:lin',
      'ctx',
      'in:x=FP32:1x3:1,2,3',
      'compute',
    ];
    const r = await wacs(['run', guest('fuzz-misuse'), ...all, ...models, '--', ...steps]);
    expect(r.code).toBe(0);
    const loads = r.stdout.split('\n').filter((l) => l.startsWith('bytes:'));
    expect(loads).toHaveLength(11);
    for (const line of loads) expect(line).toMatch(/: error invalid-encoding: \S/);
    expect(r.stdout).toContain('not a valid GGUF model');
    expect(r.stdout).toContain('PMML: the XML does not parse');
    expect(r.stdout).toContain('no bound backend can load encoding "openvino"');
    expect(r.stdout).toContain(`compute: ok y FP32 [1,2] ${good}\n`);
  });

  it('garbage model files by name for every backend: invalid-encoding each, naming the file or format, then a correct compute', async () => {
    const names = ['junk-onnx', 'junk-gguf', 'junk-genai-config', 'junk-genai-model', 'junk-tfjs', 'junk-pmml', 'junk-mljs'];
    const r = await wacs(['run', guest('fuzz-misuse'), ...all, ...models, '--', ...names.map((n) => `name:${n}`), 'name:lin', 'ctx', 'in:x=FP32:1x3:1,2,3', 'compute']);
    expect(r.code).toBe(0);
    const line = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(`name:${name}: `)) ?? '';
    for (const name of names) expect(line(name)).toMatch(/: error invalid-encoding: \S/);
    expect(line('junk-onnx')).toMatch(/onnxruntime could not load the model: .*protobuf parsing failed/i);
    expect(line('junk-gguf')).toContain('not a valid GGUF model');
    expect(line('junk-genai-config')).toContain('genai_config.json is not valid JSON');
    expect(line('junk-genai-model')).toMatch(/onnxruntime could not load model\.onnx: .*Protobuf parsing failed/);
    expect(line('junk-tfjs')).toContain('model.json is not valid JSON');
    expect(line('junk-pmml')).toContain('PMML');
    expect(line('junk-mljs')).toContain('not an ml.js model');
    expect(r.stdout).toContain(`compute: ok y FP32 [1,2] ${good}\n`);
  });

  it('a malformed model never surfaces an engine internal (a JS TypeError) or the wrong code (F9)', async () => {
    // Structurally wrong models the parsers accept: the engine's own failure leaks through as is.
    const steps = ['bytes:tensorflow:{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Const"}]}}', 'bytes:autodetect:{"name":"KNN","k":"x"}', 'bytes:onnx:garbage'];
    const r = await wacs(['run', guest('fuzz-misuse'), ...all, '--', ...steps]);
    const loads = r.stdout.split('\n').filter((l) => l.startsWith('bytes:'));
    expect(loads).toHaveLength(3);
    for (const line of loads) {
      expect(line).toMatch(/: error invalid-encoding: /);
      expect(line).not.toMatch(/Cannot read properties|is not a function|undefined/);
    }
    // Garbage declared as ONNX is the ONNX backend's to judge, not the ONNX-ML backend's.
    expect(loads[2]).toMatch(/onnxruntime could not load the model|not a valid ONNX protobuf/);
  });
});

describe('malformed guests: refused before they run, and the same host serves the next guest', () => {
  it('each malformed or mismatched guest fails to start with a clear message; the same NnHost then runs a guest correctly', async () => {
    const registry = new BackendRegistry();
    registry.register(await importBackend('onnx'));
    const named = new ModelRegistry();
    named.add('lin', { path: modelPath });
    const host = new NnHost(registry, named, { log: () => {} });
    const module = new Uint8Array(readFileSync(fuzzPreview1));
    const component = new Uint8Array(readFileSync(netProbe));
    const otherNn = Buffer.from(Buffer.from(readFileSync(guest('fuzz-misuse'))).toString('latin1').replaceAll('0.2.0-rc-2024-10-28', '0.2.0-rc-2099-01-01'), 'latin1');
    const flipped = (bytes: Uint8Array, at: number) => {
      const copy = bytes.slice();
      copy[at] = copy[at]! ^ 0xff;
      return copy;
    };
    const bad: Array<[string, Uint8Array, RegExp]> = [
      ['empty file', new Uint8Array(), /not a WebAssembly file/],
      ['text', new TextEncoder().encode('#!/bin/sh\necho hi\n'), /not a WebAssembly file/],
      ['magic only', Uint8Array.from([0, 0x61, 0x73, 0x6d]), /./],
      ['unknown version', Uint8Array.from([0, 0x61, 0x73, 0x6d, 9, 0, 0, 0]), /./],
      ['module cut in half', module.subarray(0, module.length >> 1), /cannot run this module: /],
      ['module with a section size flipped', flipped(module, 9), /cannot run this module: /],
      ['component cut in half', component.subarray(0, component.length >> 1), /cannot run this component: /],
      ['component importing an unknown wasi:nn version', new Uint8Array(otherNn), /imports wasi:nn\/\w+@0\.2\.0-rc-2099-01-01, but wacs serves wasi:nn@0\.2\.0-rc-2024-10-28/],
    ];
    const cacheDir = mkdtempSync(join(tmpdir(), 'wacs-bad-guests-cache-'));
    for (const [what, wasm, message] of bad) {
      const result = await runGuest(wasm, host, { cacheDir, timeoutMs: 20_000 });
      expect({ what, exitCode: result.exitCode }).toEqual({ what, exitCode: EXIT.startFailure });
      expect(result.error).toMatch(message);
      expect(result.error).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    const out = mkdtempSync(join(tmpdir(), 'wacs-after-bad-'));
    const result = await runGuest(module, host, { args: ['compute', 'lin', '1,2,3', '--out', '/out/y.txt'], dirs: [{ host: out, guest: '/out' }], timeoutMs: 20_000 });
    expect(result).toEqual({ exitCode: 0 });
    expect(readFileSync(join(out, 'y.txt'), 'utf8')).toBe(`y ${good}\n`);
    await host.dispose();
  });
});
