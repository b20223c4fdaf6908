/**
 * A backend's browser bundle (package.json `"wacs": { "browser": … }`) is loaded by a page by URL,
 * with no bundler in between (as `wacs web` serves it): it may import core's contract entry, which
 * the page's import map gives it, and nothing else: no Node builtin, no other package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every module specifier the code imports, statically or dynamically (string literals only; not
 * JSDoc's `{import('./x.js').T}` types in comments a bundle keeps).
 */
export function moduleSpecifiers(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/^\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']|(?<![{\w.])import\(\s*["']([^"']+)["']\s*\)|^\s*export\s*[\w*{}\s,$]*from\s*["']([^"']+)["']/gm)) {
    found.add(m[1] ?? m[2] ?? m[3]!);
  }
  return [...found];
}

/** What is wrong with the browser bundle of the backend package in `packageDir`: nothing when the list is empty. */
export function browserBundleProblems(packageDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { wacs?: { browser?: string } };
  const entry = manifest.wacs?.browser;
  if (!entry) return ['package.json names no browser bundle ("wacs": { "browser": "<file>" })'];
  const path = join(packageDir, entry);
  if (!existsSync(path)) return [`${entry} is not built`];
  const code = readFileSync(path, 'utf8');
  const problems = moduleSpecifiers(code)
    .filter((specifier) => specifier !== '@wacs/core/backend')
    .map((specifier) => `${entry} imports ${specifier}: a page can resolve only @wacs/core/backend (bundle everything else in)`);
  if (/\bfrom\s*["']node:|import\(\s*["']node:/.test(code)) problems.push(`${entry} imports a Node builtin`);
  return problems;
}
