/**
 * @wacs/browser's bundles load in a page by URL, with no bundler in between: they must import no
 * Node builtin and no bare package name but core's browser-safe entries, and the page's worker
 * must be there.
 * Running them is tested in Chromium by packages/cli's browser tests (test/web.browser.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** Every module specifier a bundle imports, statically or dynamically (string literals only). */
function specifiers(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/\bimport\s*(?:[\w*{}\s,]+from\s*)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\bfrom\s*["']([^"']+)["']/g)) {
    found.add(m[1] ?? m[2] ?? m[3]!);
  }
  return [...found];
}

// index.js and app.js share core's browser-safe entries with the page's backends (a bundler or an
// import map resolves them); the worker has no import map and inlines everything.
describe.each([
  ['index.js', ['@wacs/core/backend', '@wacs/core/browser']],
  ['app.js', ['@wacs/core/backend', '@wacs/core/browser']],
  ['worker.js', []],
])('dist/%s', (file, shared) => {
  it(`is built and imports ${shared.length ? shared.join(' and ') : 'nothing'}: no Node builtin, no other package`, () => {
    const path = `${dist}${file}`;
    expect(existsSync(path), `${file} is not built: run pnpm build`).toBe(true);
    const code = readFileSync(path, 'utf8');
    expect(specifiers(code).sort()).toEqual(shared);
    expect(code).not.toMatch(/["']node:[a-z_/]+["']/);
  });
});

describe('dist/index.js', () => {
  it('finds its worker next to itself', () => {
    expect(readFileSync(`${dist}index.js`, 'utf8')).toContain('new URL("./worker.js", import.meta.url)');
  });
});
