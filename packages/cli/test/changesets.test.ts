// Releases: `changeset version` turns the pending changesets into version bumps and changelogs.
// It rewrites files, so it runs on a copy of the workspace's manifests and changesets.
import { repoRoot } from '@wacs/fixtures';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('changeset version bumps the packages a changeset names, their dependents, and writes changelogs', () => {
  const copy = mkdtempSync(join(tmpdir(), 'wacs-changesets-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(repoRoot, file), join(copy, file));
  cpSync(join(repoRoot, '.changeset'), join(copy, '.changeset'), { recursive: true });
  for (const group of ['packages', 'guests', 'examples']) {
    const dirs = existsSync(join(repoRoot, group, 'package.json')) ? [''] : readdirSync(join(repoRoot, group));
    for (const name of dirs) {
      const manifest = join(repoRoot, group, name, 'package.json');
      if (!existsSync(manifest)) continue;
      mkdirSync(join(copy, group, name), { recursive: true });
      cpSync(manifest, join(copy, group, name, 'package.json'));
    }
  }
  const version = (pkg: string) => (JSON.parse(readFileSync(join(copy, 'packages', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const before = version('core');
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/@changesets/cli/bin.js'), 'version'], { cwd: copy, stdio: 'pipe' });
  expect(version('core')).not.toBe(before);
  expect(readFileSync(join(copy, 'packages/core/CHANGELOG.md'), 'utf8')).toMatch(/^# @wacs\/core\n\n## \d+\.\d+\.\d+/);
  expect(readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')).toEqual([]);
});
