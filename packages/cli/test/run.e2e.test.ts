// wacs run, end to end: the real CLI, a real guest component, a real engine (onnxruntime-node).
import { linearModel, guest, runWacs, wacsBin } from '@wacs/fixtures';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const onnx = ['--bind', '@wacs/backend-onnx'];
let dir: string;
let modelPath: string;

// y = x · W + b, computed by hand in the test: the independent oracle.
const W = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const b = [0.5, -1];
function expected(x: number[][]): number[] {
  return x.flatMap((row) => b.map((bias, j) => row.reduce((sum, v, k) => sum + v * W[k]![j]!, bias)));
}

/** The values nn-compute printed for output `name`. */
function printed(stdout: string, name: string): number[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no output ${name} in:\n${stdout}`);
  return line.split(' ').slice(3).map(Number);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wacs-e2e-'));
  modelPath = join(dir, 'linear.onnx');
  writeFileSync(modelPath, linearModel(W, b));
});

describe('wacs run with a component guest and backend-onnx', () => {
  it('loads a model by name and prints the values computed by hand', async () => {
    const r = await runWacs(['run', guest('nn-compute'), ...onnx, '--model', `lin=${modelPath}`, '--', 'lin', 'x=FP32:2x3:1,2,3,4,5,6']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(printed(r.stdout, 'y')).toEqual(expected([[1, 2, 3], [4, 5, 6]]));
    expect(r.stdout).toContain('y FP32 [2,2]');
  });

  it('loads a model from guest bytes (piped in) and gets the same result', async () => {
    const r = await runWacs(['run', guest('nn-compute'), ...onnx, '--', '-', 'x=FP32:1x3:-1,0.5,2'], { stdin: readFileSync(modelPath) });
    expect(r.code).toBe(0);
    expect(printed(r.stdout, 'y')).toEqual(expected([[-1, 0.5, 2]]));
  });

  it('binds every installed backend when --bind is not given', async () => {
    const r = await runWacs(['run', guest('nn-compute'), '--model', `lin=${modelPath}`, '--', 'lin', 'x=FP32:1x3:1,1,1']);
    expect(r.code).toBe(0);
    expect(printed(r.stdout, 'y')).toEqual(expected([[1, 1, 1]]));
  });
});

describe('errors a person can act on', () => {
  it('an unknown model name is not-found, with the registered names on stderr', async () => {
    const r = await runWacs(['run', guest('nn-compute'), ...onnx, '--model', `lin=${modelPath}`, '--', '../../etc/passwd', 'x=FP32:1x3:1,1,1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('wasi-nn error not-found');
    expect(r.stderr).toContain('registered: lin');
  });

  it('a tensor whose data does not match its dimensions is invalid-argument', async () => {
    const r = await runWacs(['run', guest('nn-compute'), ...onnx, '--model', `lin=${modelPath}`, '--', 'lin', 'x=FP32:1x3:1,2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('wasi-nn error invalid-argument: tensor "x": [1, 3] FP32 needs 12 bytes of data but got 8');
  });

  it('a tensor over --max-tensor is too-large', async () => {
    const r = await runWacs(['run', guest('nn-compute'), ...onnx, '--max-tensor', '0.001', '--model', `lin=${modelPath}`, '--', 'lin', '--fill', 'x=FP32:100x3:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('wasi-nn error too-large: tensor "x": [100, 3] FP32 needs 1200 bytes, over the limit of 1048');
  });

  it('garbage model bytes are invalid-encoding, saying why', async () => {
    const r = await runWacs(['run', guest('nn-compute'), ...onnx, '--', '-', '--encoding', 'onnx', 'x=FP32:1x3:1,1,1'], { stdin: 'not a model at all' });
    expect(r.code).toBe(1);
    // Guest bytes are read for external data before onnxruntime sees them, so that reader speaks first.
    expect(r.stderr).toMatch(/wasi-nn error invalid-encoding: the model is not a valid ONNX protobuf: /);
  });

  it('an unknown --bind lists the installed backends', async () => {
    const r = await runWacs(['run', guest('nn-compute'), '--bind', 'tensorflow-magic']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no backend "tensorflow-magic" is installed; installed backends: .*@wacs\/backend-onnx/);
  });

  it('a file that is not wasm says so', async () => {
    const path = join(dir, 'notwasm.wasm');
    writeFileSync(path, '#!/bin/sh\necho hello\n');
    const r = await runWacs(['run', path, ...onnx]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('not a WebAssembly file');
    const missing = await runWacs(['run', join(dir, 'missing.wasm'), ...onnx]);
    expect(missing.stderr).toContain('no such file');
  });

  it('a guest trap is printed with a non-zero exit', async () => {
    const r = await runWacs(['run', guest('sandbox-probe'), ...onnx, '--', 'trap']);
    expect(r.code).toBe(134);
    expect(r.stderr).toContain('wacs: guest trapped: unreachable');
  });

  it('a component built against another wasi:nn version is refused before it runs', async () => {
    const bytes = readFileSync(guest('nn-compute'));
    const other = Buffer.from(bytes.toString('latin1').replaceAll('0.2.0-rc-2024-10-28', '0.2.0-rc-2024-06-25'), 'latin1');
    const path = join(dir, 'old-nn.wasm');
    writeFileSync(path, other);
    const r = await runWacs(['run', path, ...onnx, '--', 'x']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('imports wasi:nn/tensor@0.2.0-rc-2024-06-25, but wacs serves wasi:nn@0.2.0-rc-2024-10-28');
  });

  it('usage errors exit 2 and point to --help', async () => {
    const r = await runWacs(['run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('wacs run --help');
    // Before the guest, an unknown option is a usage error; after it, the guest's (WasmEdge's order).
    const bad = await runWacs(['run', '--frobnicate', guest('nn-compute')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown option --frobnicate');
  });
});

describe('sandbox', () => {
  it('a guest sees no host environment unless granted', async () => {
    const none = await runWacs(['run', guest('sandbox-probe'), ...onnx, '--', 'env'], { env: { ...process.env, SECRET_TOKEN: 'x' } });
    expect(none.stdout).toBe('env 0\n');
    const granted = await runWacs(['run', guest('sandbox-probe'), ...onnx, '--env', 'A=1', '--env', 'B=2', '--', 'env']);
    expect(granted.stdout).toBe('env 2\n');
  });

  it('a guest cannot read host files without --dir, and --dir exposes only that directory', async () => {
    const data = join(dir, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'ok.txt'), 'inside the grant\n');
    writeFileSync(join(dir, 'outside.txt'), 'OUTSIDE\n');
    symlinkSync(join(dir, 'outside.txt'), join(data, 'escape.txt'));
    const probe = (args: string[]) => runWacs(['run', guest('sandbox-probe'), ...onnx, ...args]);
    // WASI errnos: 8 = badf (no preopened dir at all), 63 = perm (path refused).
    expect((await probe(['--', 'read', 'ok.txt'])).stdout).toBe('errno 8\n');
    expect((await probe(['--dir', `${data}::/data`, '--', 'read', 'ok.txt'])).stdout).toBe('inside the grant\n');
    expect((await probe(['--dir', `${data}::/data`, '--', 'read', '../outside.txt'])).stdout).toBe('errno 63\n');
    expect((await probe(['--dir', `${data}::/data`, '--', 'read', 'escape.txt'])).stdout).toBe('errno 63\n');
  });

  it('an endless guest is killed at --timeout', async () => {
    const r = await runWacs(['run', guest('sandbox-probe'), ...onnx, '--timeout', '1', '--', 'spin']);
    expect(r.code).toBe(124);
    expect(r.stderr).toContain('ran past the --timeout of 1 s');
  });

  it('a guest killed at --timeout in the middle of an in-thread compute exits 124, and the host does not crash', async () => {
    // x[512×256] · W[256×256]: milliseconds a compute, nearly all of it inside onnxruntime's native
    // run in the guest's thread. Ending the worker there used to abort the process (exit 134).
    const big = join(dir, 'big.onnx');
    writeFileSync(big, linearModel(Array.from({ length: 256 }, () => new Array<number>(256).fill(0.001)), new Array<number>(256).fill(0)));
    for (let run = 0; run < 3; run++) {
      const r = await runWacs(['run', guest('nn-compute'), ...onnx, '--model', `big=${big}`, '--timeout', '1', '--', 'big', '--fill', 'x=FP32:512x256:1', '--repeat', '100000000']);
      expect(r.stderr).toBe('wacs: guest killed: it ran past the --timeout of 1 s\n');
      expect(r.code).toBe(124);
    }
  });

  it('a run stopped by SIGINT or SIGTERM ends by that signal, and no crash is reported', async () => {
    /** Whether the host has started its watcher (and so has its signal handlers: bin.ts does both first). */
    const hasWatcher = (pid: number) => {
      try {
        return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim() !== '';
      } catch {
        return false;
      }
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const host = spawn(process.execPath, [wacsBin, 'run', guest('sandbox-probe'), ...onnx, '--', 'spin'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      host.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      while (!hasWatcher(host.pid!)) await new Promise((r) => setTimeout(r, 50));
      host.kill(signal);
      // 'close' comes once every holder of the host's stderr, the watcher too, has let it go.
      const [code, killedBy] = (await once(host, 'close')) as [number | null, NodeJS.Signals | null];
      expect({ code, killedBy, stderr }).toEqual({ code: null, killedBy: signal, stderr: '' });
    }
  });

  it('a guest that grows memory past --max-memory is stopped with a clear message', async () => {
    const r = await runWacs(['run', guest('sandbox-probe'), ...onnx, '--max-memory', '32', '--', 'grow']);
    expect(r.code).toBe(137);
    expect(r.stderr).toContain('reached the --max-memory limit of 32 MiB');
  });
});
