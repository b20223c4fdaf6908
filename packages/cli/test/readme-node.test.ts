// The README's "Use wacs from Node.js" example, run as written: it must stay runnable.
import { repoRoot } from '@wacs/fixtures';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the README example serves the guest under /guest/ and prints its answer', async () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use wacs from Node.js'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toBeDefined();
  // Next to this test, so '@wacs/core' and '@wacs/backend-onnx' resolve as in a project that installed them.
  const file = join(__dirname, '.readme-example.mjs');
  writeFileSync(file, code!);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: repoRoot, timeout: 100_000 });
    expect(stdout).toBe('200 hi\n');
  } finally {
    rmSync(file, { force: true });
  }
});
