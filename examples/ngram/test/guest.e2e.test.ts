// End to end: the real `wacs` CLI binds this folder (`--bind ./examples/ngram`) and the nn-compute
// guest computes through wasi:nn. Expected words are worked out by hand in src/conformance.ts.
import { guest, runWacs } from '@wacs/fixtures';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { storyModel } from '../src/conformance.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** nn-compute's argument for a U8 tensor holding `text`. */
function u8(name: string, text: string): string {
  const bytes = new TextEncoder().encode(text);
  return `${name}=U8:${bytes.length}:${bytes.join(',')}`;
}

/** The bytes nn-compute prints for a U8 output (its first 16 values), as text. */
function printedText(stdout: string, output: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${output} U8 `));
  if (!line) throw new Error(`no output ${output} in:\n${stdout}`);
  const values = line.replace(/^\S+ U8 \[\d+\] ?/, '').split(' ').filter(Boolean).map(Number);
  return new TextDecoder().decode(Uint8Array.from(values));
}

let model: string;
beforeAll(async () => {
  model = join(await mkdtemp(join(tmpdir(), 'ngram-e2e-')), 'story.ngram');
  await writeFile(model, storyModel());
});

describe('wacs run --bind ./examples/ngram with the nn-compute guest', () => {
  it('continues a prompt loaded by name, with metadata by index', async () => {
    const run = await runWacs(['run', guest('nn-compute'), '--bind', './examples/ngram', '--model', `story=${model}`, '--', 'story', u8('0', 'the'), u8('1', '{"n_predict": 4}')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(printedText(run.stdout, 'text')).toBe(' cat ran to the');
    expect(run.stdout).toContain('text U8 [15] ');
    expect(run.stdout).toContain('counts I32 [4] 2 1 1 1\n');
    expect(run.stdout.trimEnd().endsWith('compute ok')).toBe(true);
  });

  it('takes graph options from --model and model bytes the guest loads itself', async () => {
    const byName = await runWacs(['run', guest('nn-compute'), '--bind', './examples/ngram', '--model', `story=${model},n_predict=2`, '--', 'story', u8('prompt', 'a dog')]);
    expect(byName.code).toBe(0);
    expect(printedText(byName.stdout, 'text')).toBe(' . the');
    expect(byName.stdout).toContain('counts I32 [2] 1 2\n');
    const fromBytes = await runWacs(['run', guest('nn-compute'), '--bind', './examples/ngram', '--', '-', u8('prompt', 'sat')], { stdin: storyModel() });
    expect(fromBytes.code).toBe(0);
    // sat → on → the → cat → ran → to → the → cat → ran (the default 8 words).
    expect(fromBytes.stdout).toContain('counts I32 [8] 1 1 2 1 1 1 2 1\n');
  });

  it('gives the guest the backend errors: an unknown option, a bad input', async () => {
    const option = await runWacs(['run', guest('nn-compute'), '--bind', './examples/ngram', '--model', `story=${model},n_predikt=2`, '--', 'story', u8('0', 'the')]);
    expect(option.code).toBe(1);
    expect(option.stderr).toContain('wasi-nn error invalid-argument: model option: unknown option "n_predikt"; the ngram backend knows n_predict');
    const input = await runWacs(['run', guest('nn-compute'), '--bind', './examples/ngram', '--model', `story=${model}`, '--', 'story', 'x=FP32:1:1']);
    expect(input.code).toBe(1);
    expect(input.stderr).toContain('wasi-nn error invalid-argument: unknown input "x": the ngram backend reads "prompt" (index 0) and "metadata" (index 1)');
  });

  it('is listed by wacs backends once installed in a project', async () => {
    const project = await mkdtemp(join(tmpdir(), 'ngram-project-'));
    await mkdir(join(project, 'node_modules'));
    await symlink(packageDir, join(project, 'node_modules/wacs-backend-ngram'), 'dir');
    const run = await runWacs(['backends'], { cwd: project });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('wacs-backend-ngram@0.1.0  (name: ngram, encodings: autodetect)');
    expect(run.stdout).toMatch(/ {2}js {11}active {7}plain JavaScript on the host thread/);
  });
});
