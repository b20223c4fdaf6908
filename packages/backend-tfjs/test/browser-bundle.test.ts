/**
 * The browser bundle `wacs web` serves (package.json "wacs": { "browser" }) loads in a page by URL,
 * with no bundler in between: it imports nothing but core's contract (the page's import map gives
 * it) and no Node builtin. Running it is tested in Chromium by packages/cli's browser tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { wacs: { browser: string } };
const bundle = new URL(`../${manifest.wacs.browser}`, import.meta.url);

/**
 * Every module specifier the bundle imports, statically or dynamically (string literals only; not
 * JSDoc's `{import('./x.js').T}` types in comments the bundle keeps).
 */
function specifiers(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/^\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']|(?<![{\w.])import\(\s*["']([^"']+)["']\s*\)|^\s*export\s*[\w*{}\s,$]*from\s*["']([^"']+)["']/gm)) {
    found.add(m[1] ?? m[2] ?? m[3]!);
  }
  return [...found];
}

describe(`the browser bundle`, () => {
  it('is built, and imports only @wacs/core/backend: no Node builtin, no other package', () => {
    expect(existsSync(bundle), `${manifest.wacs.browser} is not built: run pnpm build`).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(specifiers(code)).toEqual(['@wacs/core/backend']);
    expect(code).not.toMatch(/\bfrom\s*["']node:|import\(\s*["']node:/);
  });
});
