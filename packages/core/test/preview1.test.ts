// Preview1 core-module guests through the real CLI: the witx `wasi_ephemeral_nn` ABI with WasmEdge's
// extensions, against backend-onnx (compute, every tensor type, the error paths) and a scripted
// streaming backend (compute_single and friends), plus the node:wasi sandbox and `wacs inspect`.
// The guests are Rust sources in guests/preview1, built by its build.sh and committed.
import { spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addModel, identityModel, linearModel, repoRoot, runWacs, wacsBin, type OnnxType } from '../../fixtures/dist/index.js';

const probe = join(repoRoot, 'guests/preview1/bin/witx-probe.wasm');
const llamaStream = join(repoRoot, 'guests/preview1/bin/llama-stream.wasm');
const onnx = ['--bind', join(repoRoot, 'packages/backend-onnx')];
const scripted = ['--bind', join(repoRoot, 'packages/core/test/preview1-scripted-backend')];

let dir: string;
const models: string[] = [];

// y = x · W + b, computed by hand in the test: the independent oracle.
const W = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const b = [0.5, -1];
function linear(rows: number[][]): number[] {
  return rows.flatMap((row) => b.map((bias, j) => row.reduce((sum, v, k) => sum + v * W[k]![j]!, bias)));
}

/** The witx tensor type names the probe takes, the ONNX type each must reach the engine as, and values. */
const TYPES: Array<{ witx: string; onnx: OnnxType; out: string; values: string }> = [
  { witx: 'F16', onnx: 'float16', out: 'f16', values: '15360,49152' }, // 1.0, -2.0 as half-float bits
  { witx: 'F32', onnx: 'float', out: 'f32', values: '1.5,-2.25' },
  { witx: 'F64', onnx: 'double', out: 'f64', values: '0.1,-2.5' },
  { witx: 'U8', onnx: 'uint8', out: 'u8', values: '0,255' },
  { witx: 'I32', onnx: 'int32', out: 'i32', values: '-2147483648,7' },
  { witx: 'I64', onnx: 'int64', out: 'i64', values: '-9007199254740993,42' },
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wacs-preview1-'));
  const add = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, `${name}.onnx`), bytes);
    models.push('--model', `${name}=${join(dir, `${name}.onnx`)}`);
  };
  add('lin', linearModel(W, b));
  add('add', addModel('int64', [2]));
  for (const t of TYPES) add(`id-${t.witx}`, identityModel(t.onnx, [2]));
  // The scripted backend reads nothing but the GGUF magic.
  writeFileSync(join(dir, 'story.gguf'), 'GGUF scripted');
});

/** Lines `output N: …` the probe printed, by index. */
function outputs(stdout: string): string[] {
  return [...stdout.matchAll(/^output (\d+): (.*)$/gm)].map((m) => m[2]!);
}

describe('preview1 guests with backend-onnx', () => {
  it('computes by name through load_by_name/set_input/compute/get_output: the values computed by hand', async () => {
    const r = await runWacs(['run', probe, ...onnx, ...models, '--', 'compute', 'lin', 'f32', 'F32:2x3:1,2,3,4,5,6']);
    expect(r.code).toBe(0);
    expect(outputs(r.stdout)[0]!.split(',').map(Number)).toEqual(linear([[1, 2, 3], [4, 5, 6]]));
  });

  it('loads model bytes with load (autodetect) from a --dir grant, and cannot read them without it', async () => {
    const granted = await runWacs(['run', probe, ...onnx, '--dir', `${dir}::/models`, '--', 'compute', 'file:/models/lin.onnx', 'f32', 'F32:1x3:1,0,-1']);
    expect(granted.code).toBe(0);
    expect(outputs(granted.stdout)[0]!.split(',').map(Number)).toEqual(linear([[1, 0, -1]]));

    const denied = await runWacs(['run', probe, ...onnx, '--', 'compute', `file:${join(dir, 'lin.onnx')}`, 'f32', 'F32:1x3:1,0,-1']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/cannot read .*lin\.onnx/);
  });

  it('passes inputs by index ("0", "1") and maps every witx tensor type to the engine type', async () => {
    const sum = await runWacs(['run', probe, ...onnx, ...models, '--', 'compute', 'add', 'i64', 'I64:2:1,-20', 'I64:2:10,2']);
    expect(sum.code).toBe(0);
    expect(outputs(sum.stdout)).toEqual(['11,-18']);
    for (const t of TYPES) {
      // An identity model typed for exactly this type: a wrong mapping is an engine type error.
      const r = await runWacs(['run', probe, ...onnx, ...models, '--', 'compute', `id-${t.witx}`, t.out, `${t.witx}:2:${t.values}`]);
      expect({ type: t.witx, code: r.code, out: outputs(r.stdout) }).toEqual({ type: t.witx, code: 0, out: [t.values] });
    }
  });

  it("computes in the guest's thread, reading inputs at set_input, or with --borrow-inputs at compute; through the host the same", async () => {
    const linPath = join(dir, 'lin.onnx');
    const run = (spec: string, ...flags: string[]) =>
      runWacs(['run', probe, ...onnx, ...flags, '--model', `lin=${linPath}${spec}`, '--', 'overwrite', 'lin', 'f32', 'F32:1x3:1,2,3', '4,5,6']);
    const atSetInput = linear([[1, 2, 3]]);
    const atCompute = linear([[4, 5, 6]]);
    const results = await Promise.all([run(''), run(',in_thread=false'), run('', '--borrow-inputs'), run(',in_thread=false', '--borrow-inputs')]);
    expect(results.map((r) => [r.code, outputs(r.stdout)[0]?.split(',').map(Number)])).toEqual([
      [0, atSetInput],
      [0, atSetInput],
      // Only a graph computed in the guest's thread can read guest memory at compute.
      [0, atCompute],
      [0, atSetInput],
    ]);
  });

  it('answers every bad pointer, bad handle and misuse with the right errno, and the guest carries on', async () => {
    const r = await runWacs(['run', probe, ...onnx, ...models, '--', 'errors', 'lin']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // The errnos the witx ABI and WasmEdge's extensions define for each case (see the issue).
    expect(lines).toEqual([
      'load_by_name unknown name: not_found',
      'load_by_name name past memory: invalid_argument',
      'load_by_name length wraps: invalid_argument',
      'load_by_name graph out-pointer past memory: invalid_argument',
      'load_by_name invalid UTF-8: invalid_argument',
      'load_by_name_with_config bad JSON: invalid_encoding',
      'load_by_name_with_config JSON array: invalid_argument',
      'load unparseable bytes: invalid_encoding',
      'load no builders: invalid_argument',
      'load unknown encoding: invalid_encoding',
      'load unknown target: invalid_argument',
      'load builder array past memory: invalid_argument',
      'load builder bytes past memory: invalid_argument',
      'init_execution_context unknown graph: invalid_argument',
      'init_execution_context out-pointer past memory: invalid_argument',
      'set_input unknown context: invalid_argument',
      'set_input tensor record past memory: invalid_argument',
      'set_input dimensions past memory: invalid_argument',
      'set_input data past memory: invalid_argument',
      'set_input unknown tensor type: invalid_argument',
      'set_input data shorter than dimensions: invalid_argument',
      'get_output before compute: invalid_argument',
      `set_input twice, output 0: ${linear([[4, 5, 6]]).join(',')}`,
      `compute again, output 0: ${linear([[4, 5, 6]]).join(',')}`,
      'get_output buffer too small: too_large (needs 8)',
      'get_output buffer past memory: invalid_argument',
      'get_output written out-pointer past memory: invalid_argument',
      'get_output index out of range: invalid_argument',
      'get_output_single before compute_single: invalid_argument',
      'compute_single on a backend that does not stream: unsupported_operation',
      'fini_single with no stream: success',
      'finalize_execution_context: success',
      'finalize_execution_context again: invalid_argument',
      'compute after finalize: invalid_argument',
      'unload: success',
      'init_execution_context after unload: invalid_argument',
      'unload again: invalid_argument',
    ]);
    // The person running the guest sees why each call failed; the host never crashed.
    expect(r.stderr).toContain('run past the end of the guest\'s memory');
    expect(r.stderr).toContain('no model is registered under the name "no-such-model"');
  });
});

/** The scripted model's completion: the prompt's words reversed, one " word" token each. */
function completion(prompt: string, limit = Infinity): string[] {
  return prompt.split(' ').reverse().slice(0, limit).map((w) => ` ${w}`);
}

describe('preview1 token streaming (scripted backend, --nn-preload)', () => {
  const preload = () => ['--nn-preload', `default:GGML:AUTO:${join(dir, 'story.gguf')}`];

  it('streams with compute_single/get_output_single to end_of_sequence; get_output has the text and output 1 the counts', async () => {
    const prompt = 'the quick brown fox jumps';
    const r = await runWacs(['run', probe, ...scripted, ...preload(), '--', 'stream', 'default', '{"n-predict":3}', '10', prompt, 'one two']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `tokens: ${completion(prompt, 3).join('|')} (end_of_sequence 100)`,
      `output 0: ${completion(prompt, 3).join('')}`,
      `output 1: ${JSON.stringify({ input_tokens: 5, output_tokens: 3 })}`,
    ]);
    // A second prompt on the same context, after the stream ended.
    expect(lines.slice(3, 6)).toEqual([
      `tokens: ${completion('one two').join('|')} (end_of_sequence 100)`,
      `output 0: ${completion('one two').join('')}`,
      `output 1: ${JSON.stringify({ input_tokens: 2, output_tokens: 2 })}`,
    ]);
    // fini_single clears the outputs.
    expect(lines[6]).toBe('after fini_single: invalid_argument');
  });

  it('a set_input in the middle of a stream starts over with the new prompt', async () => {
    const r = await runWacs(['run', probe, ...scripted, ...preload(), '--', 'stream', 'default', '', '2', 'a b c d', 'x y z']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`tokens: ${completion('a b c d', 2).join('|')} (stopped)`);
    expect(r.stdout).toContain(`tokens: ${completion('x y z', 2).join('|')} (stopped)`);
    expect(r.stdout).toContain(`output 0: ${completion('x y z', 2).join('')}\n`);
  });

  it("maps a backend's context-full to WasmEdge's errno 101, keeping what was streamed", async () => {
    const r = await runWacs(['run', probe, ...scripted, ...preload(), '--', 'stream', 'default', '', '10', 'a overflow c']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tokens:  c (context_full 101)\noutput 0:  c\n');
    expect(r.stderr).toContain('the context is full');
  });

  it('computes in one call with the JSON metadata at input 1, and rejects options the backend does not know', async () => {
    const r = await runWacs(['run', probe, ...scripted, ...preload(), '--', 'generate', 'default', 'one two three', '{"n-predict":2}']);
    expect(r.code).toBe(0);
    expect(outputs(r.stdout)).toEqual([completion('one two three', 2).join(''), JSON.stringify({ input_tokens: 3, output_tokens: 2 })]);

    const bad = await runWacs(['run', probe, ...scripted, ...preload(), '--', 'stream', 'default', '{"bogus":1}', '10', 'a']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('load_by_name_with_config failed: invalid_argument');
    expect(bad.stderr).toContain('unknown option "bogus"');
  });

  it('runs a WasmEdge-style guest: model name and prompt as args, options from --env, tokens streamed to stdout', async () => {
    const prompt = 'once upon a time';
    const r = await runWacs(['run', scripted[0]!, scripted[1]!, ...preload(), '--env', 'n_predict=3', '--env', 'report=1', llamaStream, 'default', prompt]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${completion(prompt, 3).join('')}\n`);
    expect(r.stderr).toMatch(/^tokens: 3 in \d+ us; metadata: \{"input_tokens":4,"output_tokens":3\}\n$/);
  });
});

describe('preview1 sandbox (node:wasi)', () => {
  it('gives the guest its args, env only when granted, and its exit code', async () => {
    const plain = await runWacs(['run', probe, '--', 'env', 'a b', 'c'], { env: { ...process.env, SECRET: 'host-only' } });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('args: witx-probe.wasm | env | a b | c\n');
    const granted = await runWacs(['run', probe, '--env', 'GREETING=hi there', '--', 'env']);
    expect(granted.stdout).toContain('env GREETING=hi there\n');
    expect((await runWacs(['run', probe, '--', 'exit', '42'])).code).toBe(42);
  });

  it('keeps a --dir grant closed: no reads outside it, through .. or a symlink', async () => {
    writeFileSync(join(dir, 'note.txt'), 'inside');
    const inside = await runWacs(['run', probe, '--dir', `${dir}::/data`, '--', 'read', '/data/note.txt']);
    expect(inside.stdout).toBe('inside');
    symlinkSync('/etc/hostname', join(dir, 'escape'));
    for (const path of ['/data/../../etc/hostname', '/data/escape', '/etc/hostname']) {
      const r = await runWacs(['run', probe, '--dir', `${dir}::/data`, '--', 'read', path]);
      expect({ path, code: r.code }).toEqual({ path, code: 3 });
      expect(r.stdout).toMatch(/^cannot read/);
    }
  });

  it('enforces --timeout (124) and --max-memory (137), and reports a trap (134)', async () => {
    const spin = await runWacs(['run', probe, '--timeout', '1', '--', 'spin']);
    expect(spin.code).toBe(124);
    expect(spin.stderr).toContain('--timeout of 1 s');

    const grow = await runWacs(['run', probe, '--max-memory', '16', '--', 'grow', '64']);
    expect(grow.code).toBe(137);
    expect(grow.stderr).toContain('--max-memory limit of 16 MiB');
    const fits = await runWacs(['run', probe, '--max-memory', '64', '--', 'grow', '8']);
    expect(fits.stdout).toBe('allocated 8 MiB (checksum 2048)\n');

    const trap = await runWacs(['run', probe, '--', 'trap']);
    expect(trap.code).toBe(134);
    expect(trap.stderr).toContain('unreachable');
  });

  it('reads stdin line by line as it arrives (a pipe the host holds non-blocking), and --timeout still ends a wait on it', async () => {
    const child = spawn(process.execPath, [wacsBin, 'run', probe, '--timeout', '20', '--', 'cat'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    const seen = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => stdout.includes(text) && resolve();
        child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
        check();
      });
    // The second line is written only after the guest echoed the first: it really waits on stdin.
    await new Promise((r) => setTimeout(r, 300));
    child.stdin.write('first\n');
    await seen('line: first\n');
    child.stdin.end('second\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'line: first\nline: second\n' });

    const waiting = spawn(process.execPath, [wacsBin, 'run', probe, '--timeout', '1', '--', 'cat'], { stdio: ['pipe', 'ignore', 'pipe'] });
    const timedOut = await new Promise((resolve) => waiting.on('close', resolve));
    waiting.stdin.destroy();
    expect(timedOut).toBe(124);
  });

  it('writes stdout in full to a reader that falls behind (a full pipe waits, it does not fail)', async () => {
    const text = '0123456789abcdef\n'.repeat(64 * 1024); // 1 MiB: many times a pipe's buffer
    writeFileSync(join(dir, 'big.txt'), text);
    const child = spawn(process.execPath, [wacsBin, 'run', probe, '--dir', `${dir}::/data`, '--', 'read', '/data/big.txt'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let received = '';
    setTimeout(() => child.stdout.on('data', (d: Buffer) => (received += d.toString())).resume(), 500);
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(received.length).toBe(text.length);
    expect(received === text).toBe(true);
  });

  it('refuses a module that imports what wacs does not provide, before running it', async () => {
    const { parse } = await import('@bytecodealliance/jco');
    const wasm = await parse('(module (import "env" "host_secret" (func)) (memory (export "memory") 1) (func (export "_start")))');
    writeFileSync(join(dir, 'foreign.wasm'), wasm);
    const r = await runWacs(['run', join(dir, 'foreign.wasm')]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('env.host_secret (function), which wacs does not provide');
  });
});

describe('wacs inspect on preview1 guests', () => {
  it('reports the witx ABI, which imports are standard witx and exactly which are WasmEdge extensions', async () => {
    const inspect = async (file: string) => {
      const r = await runWacs(['inspect', file, '--json']);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { kind: string; wasiNn: { abi: string; supported: boolean; standard: string[]; wasmedgeExtensions: string[]; unknown: string[] } };
    };
    // WebAssembly/wasi-nn's wasi-nn.witx: load, load_by_name, init_execution_context, set_input, get_output, compute.
    const standard = ['load', 'load_by_name', 'init_execution_context', 'set_input', 'get_output', 'compute'];
    const extensions = ['load_by_name_with_config', 'compute_single', 'get_output_single', 'fini_single', 'unload', 'finalize_execution_context'];
    const p = await inspect(probe);
    expect(p.kind).toBe('module');
    expect(p.wasiNn.abi).toBe('witx');
    expect(p.wasiNn.supported).toBe(true);
    expect([...p.wasiNn.standard].sort()).toEqual([...standard].sort());
    expect([...p.wasiNn.wasmedgeExtensions].sort()).toEqual([...extensions].sort());
    expect(p.wasiNn.unknown).toEqual([]);
    // llama-stream (see its source) loads with load_by_name_with_config only: neither load nor load_by_name.
    const l = await inspect(llamaStream);
    expect([...l.wasiNn.standard].sort()).toEqual(standard.filter((n) => n !== 'load' && n !== 'load_by_name').sort());
    expect([...l.wasiNn.wasmedgeExtensions].sort()).toEqual([...extensions].sort());
  });
});
