/**
 * @wacs/browser's bundles load in a page by URL, with no bundler in between: they must import no
 * Node builtin and no bare package name (everything inlined), and the page's worker must be there.
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

describe.each(['index.js', 'worker.js', 'app.js'])('dist/%s', (file) => {
  it('is built and imports nothing: no Node builtin, no package', () => {
    const path = `${dist}${file}`;
    expect(existsSync(path), `${file} is not built: run pnpm build`).toBe(true);
    const code = readFileSync(path, 'utf8');
    expect(specifiers(code)).toEqual([]);
    expect(code).not.toMatch(/["']node:[a-z_/]+["']/);
  });
});

describe('dist/index.js', () => {
  it('finds its worker next to itself', () => {
    expect(readFileSync(`${dist}index.js`, 'utf8')).toContain('new URL("./worker.js", import.meta.url)');
  });
});
