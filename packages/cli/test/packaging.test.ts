// Packaging, as a user meets it: scripts/pack-install.mjs packs every publishable package, installs
// @wacs/cli, @wacs/core, @wacs/backend-onnx and @wacs/guests from the tarballs into an empty project
// with npm (third-party dependencies from the npm registry) and runs that project's `wacs` on a guest
// by path and by name; then it runs the README's quick start, copied from the README, in an empty
// folder with `npm i -g` served those tarballs.
import { repoRoot } from '@wacs/fixtures';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function packInstall(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts/pack-install.mjs')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Most of its time is npm fetching third-party packages from the registry: 2.5 min with a warm npm
// cache, 10 min on a clean CI machine, once over 15 min here; the limit is generous on purpose.
describe('the published packages, installed with npm into an empty project', () => {
  it('pack without workspace ranges, install together, find the backend, run a guest by path and by name, and run the README quick start as written', { timeout: 1_800_000 }, async () => {
    const r = await packInstall();
    expect(r.stderr).not.toContain('pack-install: ');
    expect(r.code, `pack-install exited ${r.code}:\n${r.stderr.slice(-4000)}`).toBe(0);
    for (const name of ['@wacs/cli', '@wacs/core', '@wacs/backend-onnx']) expect(r.stdout).toMatch(new RegExp(`^packed ${name}@\\d+\\.\\d+\\.\\d+: `, 'm'));
    expect(r.stdout).toContain('wacs backends lists @wacs/backend-onnx');
    // y = x·W + b for x = [[1,2,3],[4,5,6]], W = [[1,2],[3,4],[5,6]], b = [0.5,-1]: by hand.
    expect(r.stdout).toContain('wacs run nn-compute.wasm in the project: y FP32 [2,2] 22.5 27 49.5 63');
    expect(r.stdout).toContain('wacs run @wacs/guests/nn-compute in the project: y FP32 [2,2] 22.5 27 49.5 63');
    expect(r.stdout).toContain('wacs serve oip-server in the project: y FP32 [2,2] 22.5 27 49.5 63');
    // The guests package ships the examples, the serving guests included, and none of the test or fuzz guests.
    expect(r.stdout).toMatch(/^@wacs\/guests ships \d+ guests: .*nn-compute/m);
    for (const name of ['openai-server', 'oip-server', 'hybrid-chat']) expect(r.stdout).toMatch(new RegExp(`^@wacs/guests ships \\d+ guests: .*\\b${name}\\b`, 'm'));
    expect(r.stdout).not.toMatch(/^@wacs\/guests ships .*(fuzz|sandbox-probe|witx-probe)/m);
    // Each component guest ships prepared (a thin .wacs beside it), and a first run starts from it.
    expect(r.stdout).toMatch(/^@wacs\/guests ships 10 prepared artifacts, beside .*\bnn-compute\b.*\boip-server\b/m);
    expect(r.stdout).toContain('wacs run @wacs/guests/nn-compute, first run: started from the shipped artifact (no transpile)');
    // The README's quick start, as written: every command succeeds, `wacs backends` starts with its
    // table, and the last command prints what the README says, which is y = x·W + b by hand.
    expect(r.stdout).toMatch(/^quick start: `npm i -g [^`]*@wacs\/guests[^`]*` ok/m);
    expect(r.stdout).toMatch(/^quick start: wacs backends starts with its table: @wacs\/backend-onnx@/m);
    expect(r.stdout).toContain('quick start: the last command printed what the README says (y FP32 [2,2] 22.5 27 49.5 63, as computed by hand)');
    expect(r.stdout).toContain('pack-install: ok');
  });
});
