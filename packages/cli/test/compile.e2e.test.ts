// wacs compile, end to end: the artifact runs with the output the component gives, a run finds it
// beside its component, and a damaged, foreign or stale one is refused or passed over, saying why.
import { linearModel, guest, repoRoot, runWacs } from '@wacs/fixtures';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// Transpiling a 12 MiB component takes seconds, more on a loaded machine.
const SLOW = 300_000;
let dir: string;
let modelPath: string;
let artifact: string;

/** A fresh, empty component cache: a run with it must transpile or use an artifact. */
const emptyCache = () => ({ ...process.env, WACS_CACHE_DIR: mkdtempSync(join(dir, 'cache-')) });
const computeArgs = () => ['--bind', '@wacs/backend-onnx', '--model', `lin=${modelPath}`, '--', 'lin', 'x=FP32:2x3:1,2,3,4,5,6'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wacs-compile-'));
  modelPath = join(dir, 'linear.onnx');
  writeFileSync(modelPath, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
  artifact = join(dir, 'nn-compute.wacs');
  const r = await runWacs(['compile', guest('nn-compute'), '-o', artifact, '--json'], { timeoutMs: SLOW });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { output: string; bytes: number; imports: string[] };
  expect(report.output).toBe(artifact);
  expect(report.bytes).toBe(readFileSync(artifact).length);
  expect(report.imports).toContain('wasi:nn/graph@0.2.0-rc-2024-10-28');
}, SLOW);

describe('wacs compile', () => {
  it('the artifact runs, with an empty cache and no transpiling, and prints what the component prints', async () => {
    const fromWasm = await runWacs(['run', guest('nn-compute'), ...computeArgs()]);
    const env = { ...emptyCache(), WACS_TRACE: '1' };
    const fromArtifact = await runWacs(['run', artifact, ...computeArgs()], { env });
    expect(fromArtifact.code).toBe(0);
    expect(fromArtifact.stdout).toBe(fromWasm.stdout);
    // y = x · W + b by hand: [1,2,3] → [22.5, 27], [4,5,6] → [49.5, 63]
    expect(fromArtifact.stdout).toContain('y FP32 [2,2] 22.5 27 49.5 63');
    expect(fromArtifact.stderr).toMatch(/^wacs-trace component-from-artifact /m);
    expect(readdirSync(join(env.WACS_CACHE_DIR, 'components'))).toHaveLength(1);
  }, SLOW);

  it('a run of <name>.wasm uses <name>.wacs beside it on its first run', async () => {
    const wasm = join(dir, 'beside', 'nn-compute.wasm');
    mkdirSync(join(dir, 'beside'));
    copyFileSync(guest('nn-compute'), wasm);
    copyFileSync(artifact, join(dir, 'beside', 'nn-compute.wacs'));
    const r = await runWacs(['run', wasm, ...computeArgs()], { env: { ...emptyCache(), WACS_TRACE: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('y FP32 [2,2] 22.5 27 49.5 63');
    expect(r.stderr).toMatch(/^wacs-trace component-from-artifact /m);
  }, SLOW);

  it('writes <name>.wacs beside the guest by default, and passes over a stale one there with a note', async () => {
    // sandbox-probe is a small component: transpiling it is quick.
    const probe = join(dir, 'probe.wasm');
    copyFileSync(guest('sandbox-probe'), probe);
    const compiled = await runWacs(['compile', probe], { timeoutMs: SLOW });
    expect(compiled.code).toBe(0);
    expect(compiled.stdout).toContain(`→ ${join(dir, 'probe.wacs')}`);
    expect(existsSync(join(dir, 'probe.wacs'))).toBe(true);
    const expected = await runWacs(['run', probe], { env: { ...emptyCache(), WACS_TRACE: '1' } });
    expect(expected.stderr).toMatch(/^wacs-trace component-from-artifact /m);

    // The same name beside another component: made from another build, so stale.
    copyFileSync(artifact, join(dir, 'probe.wacs'));
    const r = await runWacs(['run', probe], { env: { ...emptyCache(), WACS_TRACE: '1' }, timeoutMs: SLOW });
    expect(r.stderr).toContain(`${join(dir, 'probe.wacs')} is stale (made from another build of this guest); transpiling instead`);
    expect(r.stderr).toMatch(/^wacs-trace component-from-transpiled /m);
    expect(r.code).toBe(expected.code);
    expect(r.stdout).toBe(expected.stdout);
  }, SLOW);

  it('--thin: a twentieth of the size, used from beside its component, refused alone saying why', async () => {
    mkdirSync(join(dir, 'thin'));
    const wasm = join(dir, 'thin', 'nn-compute.wasm');
    copyFileSync(guest('nn-compute'), wasm);
    const compiled = await runWacs(['compile', wasm, '--thin', '--json'], { timeoutMs: SLOW });
    expect(compiled.code).toBe(0);
    const report = JSON.parse(compiled.stdout) as { output: string; bytes: number; thin: boolean };
    expect(report).toMatchObject({ output: join(dir, 'thin', 'nn-compute.wacs'), thin: true });
    expect(report.bytes).toBeLessThan(readFileSync(artifact).length / 20);
    const r = await runWacs(['run', wasm, ...computeArgs()], { env: { ...emptyCache(), WACS_TRACE: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('y FP32 [2,2] 22.5 27 49.5 63');
    expect(r.stderr).toMatch(/^wacs-trace component-from-artifact /m);
    const alone = await runWacs(['run', report.output, ...computeArgs()], { env: emptyCache() });
    expect(alone.code).toBe(125);
    expect(alone.stderr).toContain('is a thin artifact: it reads its core modules from the component it was made from');
  }, SLOW);

  it('refuses a corrupt artifact with exit 125 and says to compile again', async () => {
    const bytes = readFileSync(artifact);
    bytes[bytes.length - 100]! ^= 0x55;
    const corrupt = join(dir, 'corrupt.wacs');
    writeFileSync(corrupt, bytes);
    const r = await runWacs(['run', corrupt, ...computeArgs()], { env: emptyCache() });
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('is corrupt (its contents do not match its checksum); make it again with `wacs compile <guest.wasm>`');
  }, SLOW);

  it('errors a person can act on: no guest, a core module, an artifact; the help', async () => {
    const none = await runWacs(['compile']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('wacs compile: which guest?');
    const module = await runWacs(['compile', join(repoRoot, 'guests/preview1/bin/nn-bench.wasm')]);
    expect(module.code).toBe(1);
    expect(module.stderr).toContain('is a preview1 core module: it needs no ahead-of-time step');
    const again = await runWacs(['compile', artifact]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is already a compiled artifact');
    const help = await runWacs(['--help']);
    expect(help.stdout).toContain('compile <guest.wasm> [-o out.wacs]');
    const own = await runWacs(['compile', '--help']);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain('Usage: wacs compile');
  }, SLOW);
});
