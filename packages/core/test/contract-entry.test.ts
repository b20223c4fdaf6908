/**
 * `@wacs/core/backend` must bundle for a browser: nothing in its import graph may import a Node
 * builtin (`node:fs`, or a bare `fs`). esbuild bundles it as a browser build would, and every
 * builtin it is asked to resolve is recorded.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const builtins = new Set(builtinModules);

/** Bundles `entry` for `--platform=browser`; returns the Node builtins its graph imports, with the importer. */
async function nodeImports(entry: string): Promise<string[]> {
  const found: string[] = [];
  const recordBuiltins: Plugin = {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.replace(/^node:/, '').split('/')[0]!;
        if (args.path.startsWith('node:') || builtins.has(args.path) || builtins.has(bare)) {
          found.push(`${args.path} (from ${args.importer.slice(packageDir.length)})`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
  await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', absWorkingDir: packageDir, plugins: [recordBuiltins] });
  return found;
}

describe('the contract entry (@wacs/core/backend)', () => {
  const exported = (JSON.parse(readFileSync(`${packageDir}/package.json`, 'utf8')) as { exports: Record<string, { import: string }> }).exports;

  it('is exported as ./backend', () => {
    expect(exported['./backend']?.import).toBe('./dist/backend.js');
  });

  it('bundles for a browser from source with no Node builtin in its import graph', async () => {
    expect(await nodeImports('src/contract.ts')).toEqual([]);
  });

  it('bundles for a browser as built with no Node builtin in it', async () => {
    expect(await nodeImports(exported['./backend']!.import)).toEqual([]);
  });

  it('shares its browser-safety with the browser host entry (@wacs/core/browser), from source and as built', async () => {
    expect(exported['./browser']?.import).toBe('./dist/browser.js');
    expect(await nodeImports('src/browser.ts')).toEqual([]);
    expect(await nodeImports(exported['./browser']!.import)).toEqual([]);
  });

  it('is told apart from the runtime entry, whose Node imports the same check finds', async () => {
    const found = await nodeImports('src/index.ts');
    expect(found).toContainEqual(expect.stringMatching(/^node:v8 /));
    expect(found).toContainEqual(expect.stringMatching(/^node:fs\/promises \(from src\/contract-node\.ts\)/));
  });
});
