import { guest, runWacs } from '@wacs/fixtures';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';

describe('wacs backends', () => {
  it('--json lists the installed backends with encodings, hardware and options', async () => {
    const r = await runWacs(['backends', '--json']);
    expect(r.code).toBe(0);
    type Option = { name: string; type: string; when: string; doc: string; max?: number; choices?: string[] };
    const { backends } = JSON.parse(r.stdout) as { backends: Array<{ package: string; encodings: string[]; hardware: Array<{ name: string; active?: boolean }>; options: Option[] }> };
    const onnx = backends.find((b) => b.package === '@wacs/backend-onnx');
    expect(onnx?.encodings).toEqual(['onnx']);
    expect(onnx?.hardware.find((h) => h.name === 'cpu')?.active).toBe(true);
    // The options come from the backend's spec: the thread cap is this machine's core count.
    const threads = onnx?.options.find((o) => o.name === 'intra_op_threads');
    expect(threads).toMatchObject({ type: 'threads', when: 'compute', max: availableParallelism() });
    expect(onnx?.options.find((o) => o.name === 'graph_optimization_level')?.choices).toEqual(['disabled', 'basic', 'extended', 'layout', 'all']);
    const llama = backends.find((b) => b.package === '@wacs/backend-llama');
    expect(llama?.options.find((o) => o.name === 'n-gpu-layers')).toMatchObject({ type: 'integer', when: 'load', min: -1 });
  });
});

describe('wacs inspect', () => {
  it('reports a component, its wasi:nn version, imports and exports', async () => {
    const r = await runWacs(['inspect', guest('nn-compute'), '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { kind: string; wasiNn: { abi: string; version: string; supported: boolean }; imports: string[]; exports: string[] };
    expect(report.kind).toBe('component');
    expect(report.wasiNn).toEqual({ abi: 'wit', version: '0.2.0-rc-2024-10-28', supported: true });
    expect(report.imports).toContain('wasi:nn/graph@0.2.0-rc-2024-10-28');
    expect(report.exports).toEqual(['wasi:cli/run@0.2.3']);
  });
  it('says when a guest does not use wasi:nn', async () => {
    const r = await runWacs(['inspect', guest('sandbox-probe')]);
    expect(r.stdout).toContain('wasi:nn: not imported');
  });
});

describe('wacs --help', () => {
  it('lists the commands, and each command has its own help', async () => {
    const top = await runWacs(['--help']);
    expect(top.stdout).toMatch(/run <guest.wasm>[\s\S]*backends[\s\S]*inspect/);
    for (const command of ['run', 'backends', 'inspect']) {
      const r = await runWacs([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: wacs ${command}`);
    }
    const unknown = await runWacs(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });
});

describe('commands added by installed backends', () => {
  it('wacs --help lists them with the package that adds them', async () => {
    const r = await runWacs(['--help']);
    expect(r.stdout).toMatch(/Commands from installed backends:[\s\S]*pull .*\(@wacs\/backend-llama\)[\s\S]*onnx-node-tests .*\(@wacs\/backend-onnx\)/);
  });
  it('wacs pull explains what it takes when given a local path (no network needed)', async () => {
    const r = await runWacs(['pull', './model.gguf']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('looks like a local path: wacs run --model <name>=./model.gguf loads it as it is');
  });
});
