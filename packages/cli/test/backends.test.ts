// `wacs backends` keeps engine noise out of its output: engines print from native code straight to
// the process's stdout and stderr while probing (onnxruntime's WebGPU EP: "Warning: Couldn't load
// Vulkan …" on a machine without Vulkan). A backend here does the same with fs.writeSync on fds 1
// and 2, at import and in hardware(); the installed backends of this workspace probe beside it.
import { runWacs, wacsBin } from '@wacs/fixtures';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const noisyBackend = `
import { writeSync } from 'node:fs';
writeSync(1, 'NOISE at load on fd 1\\n');
export default {
  name: 'noisy',
  encodings: ['onnx'],
  load() { throw new Error('not for loading'); },
  hardware() {
    writeSync(2, 'NOISE while probing on fd 2\\n');
    writeSync(1, 'NOISE while probing on fd 1\\n');
    return [{ name: 'cpu', available: true, active: true, detail: 'makes noise' }];
  },
};
`;

/** `wacs <args>` with stdout and stderr into one file, as a terminal shows them. */
function wacsCombined(args: string[], cwd: string): { code: number | null; output: string } {
  const log = join(cwd, 'output.log');
  const fd = openSync(log, 'w');
  const result = spawnSync(process.execPath, [wacsBin, ...args], { cwd, stdio: ['ignore', fd, fd], timeout: 120_000 });
  closeSync(fd);
  return { code: result.status, output: readFileSync(log, 'utf8') };
}

describe('wacs backends and engine output', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'wacs-noisy-'));
    const dir = join(project, 'node_modules', 'noisy-backend');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'noisy-backend', version: '0.0.1', type: 'module', wacs: { backend: './index.js' } }));
    writeFileSync(join(dir, 'index.js'), noisyBackend);
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('starts with its table and prints no engine output', { timeout: 120_000 }, () => {
    const { code, output } = wacsCombined(['backends'], project);
    expect(code).toBe(0);
    expect(output.split('\n')[0]).toMatch(/^\S+@\d+\.\d+\.\d+ {2}\(name: \w+, encodings: /);
    expect(output).toContain('noisy-backend@0.0.1  (name: noisy, encodings: onnx)');
    expect(output).toMatch(/^ {2}cpu +active +makes noise$/m);
    expect(output).not.toContain('NOISE');
    expect(output).not.toContain('Warning:');
  });

  it('--verbose shows what the engines printed, on stderr after the table', { timeout: 120_000 }, async () => {
    const r = await runWacs(['backends', '--verbose'], { cwd: project });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('noisy-backend@0.0.1');
    expect(r.stdout).not.toContain('NOISE');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('Engine output while probing:');
    for (const noise of ['NOISE at load on fd 1', 'NOISE while probing on fd 2', 'NOISE while probing on fd 1']) expect(lines).toContain(`  ${noise}`);
  });

  it('--json stays JSON alone', { timeout: 120_000 }, async () => {
    const r = await runWacs(['backends', '--json'], { cwd: project });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const { backends } = JSON.parse(r.stdout) as { backends: Array<{ package: string; hardware: Array<{ detail: string }> }> };
    expect(backends.find((b) => b.package === 'noisy-backend')?.hardware[0]?.detail).toBe('makes noise');
  });
});
