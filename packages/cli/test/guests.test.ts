// Guests by name (src/guests.ts): `wacs run` takes a guest of an installed guest package by
// `<package>/<guest>` or `<guest>`, a file always wins, and an unknown or ambiguous name fails
// with the installed guests listed. The projects here are made in temp folders, like an npm install.
import { guest, linearModel, runWacs, wacsBin } from '@wacs/fixtures';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestNotFoundError, resolveGuest, type GuestPackage } from '../src/guests.js';

/** A package in <project>/node_modules declaring `guests` (name → file written there). */
function installGuestPackage(project: string, name: string, guests: Record<string, Uint8Array | string>): void {
  const dir = join(project, 'node_modules', name);
  mkdirSync(join(dir, 'dist'), { recursive: true });
  const declared: Record<string, string> = {};
  for (const [guestName, content] of Object.entries(guests)) {
    const file = join(dir, 'dist', `${guestName}.wasm`);
    if (typeof content === 'string') copyFileSync(content, file);
    else writeFileSync(file, content);
    declared[guestName] = `./dist/${guestName}.wasm`;
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', wacs: { guests: declared } }));
}

// y = x·W + b for x = [[1,2,3],[4,5,6]], W = [[1,2],[3,4],[5,6]], b = [0.5,-1], by hand.
const W = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const linearArgs = ['--model', 'lin=lin.onnx', '--', 'lin', 'x=FP32:2x3:1,2,3,4,5,6'];
const byHand = 'y FP32 [2,2] 22.5 27 49.5 63';

describe('wacs run <guest name>', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'wacs-guests-'));
    writeFileSync(join(project, 'lin.onnx'), linearModel(W, [0.5, -1]));
    installGuestPackage(project, '@wacs/guests', { 'nn-compute': guest('nn-compute') });
    installGuestPackage(project, 'acme-guests', { echo: new Uint8Array([0, 0x61, 0x73, 0x6d]) });
    installGuestPackage(project, '@other/guests', { echo: new Uint8Array([0, 0x61, 0x73, 0x6d]) });
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('runs an installed guest by <package>/<guest> and by <guest> alone, to the values computed by hand', { timeout: 120_000 }, async () => {
    for (const spec of ['@wacs/guests/nn-compute', 'nn-compute']) {
      const r = await runWacs(['run', spec, ...linearArgs], { cwd: project });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')).toContain(byHand);
    }
  });

  it('an existing file wins over an installed guest of the same name', async () => {
    const dir = mkdtempSync(join(project, 'cwd-'));
    writeFileSync(join(dir, 'nn-compute'), 'not wasm');
    const r = await runWacs(['run', 'nn-compute', ...linearArgs], { cwd: dir });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('not a WebAssembly file');
  });

  it('an unknown name fails, listing the installed guests', async () => {
    const r = await runWacs(['run', 'nn-compte', ...linearArgs], { cwd: project });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('no file nn-compte, and no installed guest has that name');
    for (const name of ['@wacs/guests/nn-compute', 'acme-guests/echo', '@other/guests/echo']) expect(r.stderr).toContain(name);
    const unknownPackage = await runWacs(['run', '@wacs/nope/nn-compute'], { cwd: project });
    expect(unknownPackage.code).toBe(125);
    expect(unknownPackage.stderr).toContain('no guest package @wacs/nope is installed');
    const unknownGuest = await runWacs(['run', '@wacs/guests/chat'], { cwd: project });
    expect(unknownGuest.stderr).toContain('@wacs/guests has no guest "chat"');
    expect(unknownGuest.stderr).toContain('installed guests: @wacs/guests/nn-compute');
  });

  it('a name two packages have is never guessed: the error names each full form', async () => {
    const r = await runWacs(['run', 'echo'], { cwd: project });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('several installed packages have a guest "echo"');
    expect(r.stderr).toContain('@other/guests/echo');
    expect(r.stderr).toContain('acme-guests/echo');
  });

  it('a missing <name>.wasm whose name is an installed guest says how to run that guest', async () => {
    const r = await runWacs(['run', 'nn-compute.wasm'], { cwd: project });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('no file nn-compute.wasm; to run the installed guest of that name, leave out ".wasm": nn-compute (@wacs/guests)');
  });
});

/** `wacs serve …` in `cwd`, until it prints its JSON line: the URL and a way to stop it (exit code). */
async function serveIn(cwd: string, args: string[]): Promise<{ url: string; stop(): Promise<{ code: number | null; stderr: string }> }> {
  const child = spawn(process.execPath, [wacsBin, 'serve', ...args, '--port', '0', '--json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((code) => reject(new Error(`wacs serve exited ${code}: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      return { code: await exited, stderr };
    },
  };
}

describe('wacs serve <guest name>', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'wacs-serve-guests-'));
    writeFileSync(join(project, 'lin.onnx'), linearModel(W, [0.5, -1]));
    installGuestPackage(project, '@wacs/guests', { 'oip-server': guest('oip-server') });
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('serves an installed guest by <guest> and by <package>/<guest>: OIP infer equals y = x·W + b by hand', { timeout: 120_000 }, async () => {
    for (const spec of ['oip-server', '@wacs/guests/oip-server']) {
      const server = await serveIn(project, [spec, '--instances', '1', '--model', 'lin=lin.onnx']);
      const r = await fetch(`${server.url}/v2/models/lin/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] }),
      });
      const answer = (await r.json()) as { outputs: Array<{ name: string; shape: number[]; datatype: string; data: number[] }> };
      const stopped = await server.stop();
      expect(r.status).toBe(200);
      expect(answer.outputs).toEqual([{ name: 'y', shape: [2, 2], datatype: 'FP32', data: [22.5, 27, 49.5, 63] }]);
      expect(stopped.code).toBe(0);
      expect(stopped.stderr).toContain('wacs serve: oip-server listening on');
    }
  });

  it('an unknown name exits 125 listing the installed guests', async () => {
    const r = await runWacs(['serve', 'oip-srver', '--port', '0'], { cwd: project });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('no file oip-srver, and no installed guest has that name; installed guests: @wacs/guests/oip-server');
  });
});

describe('resolveGuest', () => {
  const packages = (): GuestPackage[] => [
    { package: '@wacs/guests', version: '1.0.0', dir: '/p/a', guests: { 'nn-compute': '/p/a/nn-compute.wasm' } },
  ];

  it('takes anything written as a path as a path, even when missing', () => {
    for (const spec of ['./nn-compute', '../x/nn-compute', '/abs/nn-compute', 'dir\\nn-compute', 'other.wasm']) {
      expect(resolveGuest(spec, packages).package).toBeUndefined();
    }
  });

  it('never takes an Object property for a guest name', () => {
    for (const spec of ['constructor', 'toString', '__proto__', '@wacs/guests/hasOwnProperty']) expect(() => resolveGuest(spec, packages)).toThrow(GuestNotFoundError);
  });

  it('reports when no guest package is installed, with the command that installs the examples', () => {
    expect(() => resolveGuest('nn-compute', () => [])).toThrow('no guest package is installed (npm i -g @wacs/guests installs the examples)');
  });
});
