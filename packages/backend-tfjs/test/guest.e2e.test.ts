// End to end through the real CLI and built guests, on models made in the test (fresh clone).
import { guest, repoRoot, runWacs } from '@wacs/fixtures';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainXorModel, XOR_TABLE, type XorTraining } from '../src/demo.js';
import { affineByHand, affineGraph } from './fixtures.js';

const backend = join(repoRoot, 'packages/backend-tfjs');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacs-tfjs-guest-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('xor-mlp guest', () => {
  let training: XorTraining;

  it('trainXorModel learns XOR from its seed', async () => {
    training = await trainXorModel(join(dir, 'xor'));
    expect(training.predictions.map(Math.round)).toEqual(XOR_TABLE.map((r) => r.xor));
  });

  it('prints the XOR truth table the model computes', async () => {
    const result = await runWacs(['run', guest('xor-mlp'), '--bind', backend, '--model', `xor=${training.folder}`]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const rows = [...result.stdout.matchAll(/^([01]) ([01]) \|\s+([01])\s+\| (\d\.\d{4})$/gm)].map((m) => m.slice(1).map(Number));
    // The truth table itself, and the probabilities tfjs gave when called directly after training.
    expect(rows.map(([a, b, bit]) => [a, b, bit])).toEqual([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]].map(([a, b]) => [a, b, a! ^ b!]));
    expect(rows.map((r) => r[3])).toEqual(training.predictions.map((p) => Number(p.toFixed(4))));
    expect(result.stdout).toMatch(/the model computes XOR on all 4 rows/);
  });

  it("computes in the guest's own thread on the host's engine, with the host's results, unless in_thread=false", async () => {
    const inputs = XOR_TABLE.flatMap((row) => [row.a, row.b]).join(',');
    const runs = await Promise.all(
      ['', ',in_thread=false'].map((option) =>
        // Two computes: a graph's first goes through the host, and its twin opens at the second.
        runWacs(['run', guest('nn-compute'), '--bind', backend, '--model', `xor=${training.folder}${option}`, '--', 'xor', `0=FP32:4x2:${inputs}`, '--repeat', '2'], {
          env: { ...process.env, WACS_TRACE: '1' },
        }),
      ),
    );
    const [twin, host] = runs.map((result) => {
      expect(result.code, result.stderr).toBe(0);
      const output = /^(\S+) FP32 \[4,1\] (.+)$/m.exec(result.stdout);
      expect(output, result.stdout).not.toBeNull();
      return { opened: /in-thread-twin-opened/.test(result.stderr), line: output![0], values: output![2]!.split(' ').map(Number) };
    });
    expect(twin!.opened).toBe(true);
    expect(host!.opened).toBe(false);
    expect(twin!.line).toBe(host!.line);
    twin!.values.forEach((value, i) => expect(value).toBeCloseTo(training.predictions[i]!, 5));
  });
});

describe('nn-compute guest on a hand-written graph model', () => {
  it('autodetects the folder, takes inputs by name, and runs on the engine the model spec names', async () => {
    const folder = await affineGraph(join(dir, 'affine'));
    const expected = affineByHand([[1, 2], [3, -4]]).map((v) => +v.toPrecision(7));
    for (const spec of [`affine=${folder}`, `affine=${folder},engine=cpu`]) {
      const result = await runWacs(['run', guest('nn-compute'), '--bind', backend, '--model', spec, '--', 'affine', 'x=FP32:2x2:1,2,3,-4', 'n=I32:2:3,-5']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`y FP32 [2,3] ${expected.join(' ')}`);
      expect(result.stdout).toContain('n2 I32 [2] 9 25');
    }
  });

  it('a lossy input reaches the guest as invalid-argument', async () => {
    const folder = await affineGraph(join(dir, 'affine-lossy'));
    const result = await runWacs(['run', guest('nn-compute'), '--bind', backend, '--model', `affine=${folder}`, '--', 'affine', 'x=FP32:1x2:1,2', 'n=FP32:1:0.5']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/invalid-argument.*FP32 value 0.5/);
  });
});

describe('wacs backends', () => {
  it('lists the installed backend with its engines: which one is active, and why the others are not', async () => {
    // A project with @wacs/backend-tfjs installed (linked to this package).
    const project = join(dir, 'project');
    await mkdir(join(project, 'node_modules/@wacs'), { recursive: true });
    await symlink(backend, join(project, 'node_modules/@wacs/backend-tfjs'));
    const result = await runWacs(['backends', '--json'], { cwd: project });
    expect(result.code, result.stderr).toBe(0);
    const row = (JSON.parse(result.stdout) as { backends: Array<{ package: string; name?: string; hardware?: unknown[] }> }).backends.find(
      (b) => b.package === '@wacs/backend-tfjs',
    );
    expect(row?.name).toBe('tfjs');
    expect(row?.hardware).toEqual([
      { name: 'tfjs-node-gpu', available: false, active: false, detail: expect.stringMatching(/not installed/) },
      { name: 'tfjs-node', available: false, active: false, detail: expect.stringMatching(/not installed/) },
      { name: 'wasm', available: true, active: true, detail: expect.stringMatching(/^WebAssembly SIMD, 1 thread/) },
      { name: 'cpu', available: true, active: false, detail: expect.any(String) },
    ]);
    const text = await runWacs(['backends'], { cwd: project });
    expect(text.stdout).toMatch(/^\s+wasm\s+active\s+WebAssembly SIMD/m);
  });
});
