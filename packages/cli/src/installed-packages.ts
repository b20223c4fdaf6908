/**
 * Finding installed npm packages of a kind (backends, guest packages): every package folder in the
 * node_modules folders wacs searches, read by the caller, first found winning per package name.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** node_modules folders to search: the project's (cwd upwards), then wacs's own. */
export function searchRoots(): string[] {
  const roots: string[] = [];
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    roots.push(join(dir, 'node_modules'));
    if (dirname(dir) === dir) break;
  }
  const require = createRequire(import.meta.url);
  roots.push(...(require.resolve.paths('@wacs/core') ?? []));
  return [...new Set(roots)].filter((r) => existsSync(r));
}

/** What `read` makes of each installed package folder it recognises, one per package name (the nearest wins). */
export function findInstalled<T extends { package: string }>(read: (dir: string) => T | undefined): T[] {
  const found = new Map<string, T>();
  for (const root of searchRoots()) {
    for (const name of listDir(root)) {
      const dirs = name.startsWith('@') ? listDir(join(root, name)).map((n) => join(root, name, n)) : [join(root, name)];
      for (const dir of dirs) {
        const pkg = read(dir);
        if (pkg && !found.has(pkg.package)) found.set(pkg.package, pkg);
      }
    }
  }
  return [...found.values()];
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
