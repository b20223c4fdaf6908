// The wacs-backend-conformance command on backend packages written as a third party would ship
// them: plain JavaScript importing @wacs/core/backend (installed beside them, as a peer dependency
// is), fixtures named in package.json. Needs `npm run build` first (it runs dist/cli.js).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceReport } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '../dist/cli.js');

/** How a backend gets NnError: from the host's @wacs/core, or (a mistake) a class of its own. */
const nnErrorSource = {
  peer: `import { NnError } from '@wacs/core/backend';`,
  own: `class NnError extends Error {
  name = 'NnError';
  constructor(code, message) { super(message); this.code = code; }
}`,
};

/** An "upper" backend: the model is the text "UPPER", a compute upper-cases U8 text input "0". */
const backendSource = (ignoreUnknownOptions: boolean, nnError: keyof typeof nnErrorSource) => `
import { readFile } from 'node:fs/promises';
${nnErrorSource[nnError]}
const text = (s) => { const data = new TextEncoder().encode(s); return { type: 'U8', dimensions: [data.length], data }; };
const isModel = (bytes) => new TextDecoder().decode(bytes) === 'UPPER';
export default {
  name: 'upper',
  encodings: ['autodetect'],
  detect: (probe) => !probe.isDirectory && isModel(probe.head),
  async load({ source, options }) {
    if (!${ignoreUnknownOptions} && Object.keys(options).length) throw new NnError('invalid-argument', 'upper takes no options');
    let bytes;
    if (source.kind === 'bytes') bytes = source.builders[0];
    else bytes = await readFile(source.path).catch(() => { throw new NnError('not-found', 'no model at ' + source.path); });
    if (!isModel(bytes)) throw new NnError('invalid-encoding', 'an upper model is the text UPPER');
    return {
      createContext: () => ({
        async compute(inputs) {
          if (inputs.length !== 1 || inputs[0].name !== '0' || inputs[0].tensor.type !== 'U8') throw new NnError('invalid-argument', 'give one U8 input "0"');
          return [{ name: '0', tensor: text(new TextDecoder().decode(inputs[0].tensor.data).toUpperCase()) }];
        },
        dispose() {},
      }),
      dispose() {},
    };
  },
};
`;

const fixturesSource = `
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const text = (s) => { const data = new TextEncoder().encode(s); return { type: 'U8', dimensions: [data.length], data }; };
export default function fixtures() {
  const path = join(mkdtempSync(join(tmpdir(), 'upper-')), 'model.upper');
  writeFileSync(path, 'UPPER');
  return {
    model: { bytes: new TextEncoder().encode('UPPER'), path },
    cases: [{ inputs: [{ name: '0', tensor: text('hello wasi') }], expect: [{ name: '0', tensor: text('HELLO WASI') }] }],
  };
}
`;

async function writePackage(root: string, name: string, broken: boolean, withFixtures = true, nnError: keyof typeof nnErrorSource = 'peer'): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, 'node_modules/@wacs'), { recursive: true });
  await symlink(await realpath(join(here, '../node_modules/@wacs/core')), join(dir, 'node_modules/@wacs/core'), 'dir');
  const wacs = withFixtures ? { backend: './index.mjs', conformance: './fixtures.mjs' } : { backend: './index.mjs' };
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', keywords: ['wacs-backend'], wacs }));
  await writeFile(join(dir, 'index.mjs'), backendSource(broken, nnError));
  await writeFile(join(dir, 'fixtures.mjs'), fixturesSource);
  return dir;
}

function conformance(args: string[], cwd?: string) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd });
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'testkit-cli-'));
  await writePackage(root, 'wacs-backend-upper', false);
  await writePackage(root, 'broken-upper', true);
  await writePackage(root, 'upper-without-fixtures', false, false);
  await writePackage(root, 'own-nnerror-upper', false, true, 'own');
  // Installed the way npm would, for lookup by package name.
  await mkdir(join(root, 'project/node_modules'), { recursive: true });
  await writePackage(join(root, 'project/node_modules'), 'wacs-backend-upper', false);
});

describe('wacs-backend-conformance', () => {
  it('passes a correct package folder, printing each check and the summary', () => {
    const run = conformance([join(root, 'wacs-backend-upper')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('PASS load-bytes      loads from bytes and computes the expected outputs');
    expect(run.stdout).toContain('SKIP stream');
    expect(run.stdout).toContain('SKIP in-thread');
    expect(run.stdout).toContain('SKIP start-engine');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('upper: 13 passed, 0 failed, 5 skipped');
  });

  it('finds an installed package by name from the current folder', () => {
    const run = conformance(['wacs-backend-upper', '--only', 'shape,load-path'], join(root, 'project'));
    expect(run.status).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('upper: 2 passed, 0 failed, 0 skipped');
  });

  it('exits 1 with the reason when a check fails, and reports JSON on request', () => {
    const run = conformance([join(root, 'broken-upper'), '--json']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as ConformanceReport;
    expect(report.passed).toBe(false);
    expect(report.results.filter((r) => r.status === 'fail').map((r) => [r.id, r.detail])).toEqual([
      ['unknown-option', 'load with option "wacs-conformance-unknown-option": succeeded, but it must fail with code invalid-argument'],
    ]);
  });

  it('fails a backend whose NnError is its own class, saying the host would not recognise it', () => {
    const run = conformance([join(root, 'own-nnerror-upper'), '--only', 'unknown-option', '--json']);
    expect(run.status).toBe(1);
    const [result] = (JSON.parse(run.stdout) as ConformanceReport).results;
    expect(result?.status).toBe('fail');
    expect(result?.detail).toMatch(/threw an NnError from another copy of @wacs\/core \(upper takes no options\), which the host cannot recognise; make @wacs\/core a peerDependency/);
  });

  it('takes fixtures from --fixtures, and says how to give them when there are none', () => {
    const dir = join(root, 'upper-without-fixtures');
    const missing = conformance([dir]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no fixtures; pass --fixtures <module>, or add "wacs": { "conformance": "<module>" } to its package.json');
    const given = conformance([join(dir, 'index.mjs'), '--fixtures', join(dir, 'fixtures.mjs'), '--only', 'load-bytes']);
    expect(given.status).toBe(0);
  });

  it('refuses unknown checks and options, missing packages and folders that are not backends', () => {
    expect(conformance([join(root, 'wacs-backend-upper'), '--only', 'speed']).stderr).toContain('unknown check(s) speed');
    for (const args of [['--speed'], ['--only'], [join(root, 'wacs-backend-upper'), 'and-another']]) {
      const refused = conformance(args);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain('usage: wacs-backend-conformance');
    }
    const notInstalled = conformance(['wacs-backend-nothing'], root);
    expect(notInstalled.status).toBe(2);
    expect(notInstalled.stderr).toContain('package wacs-backend-nothing is not installed');
    const notBackend = conformance([join(root, 'project')]);
    expect(notBackend.stderr).toContain('has no readable package.json');
  });
});
