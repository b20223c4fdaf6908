/**
 * Finding a backend package and its conformance fixtures the way `wacs --bind` finds backends:
 * a folder with a package.json whose `"wacs"` field names the entry (`"backend"`) and, for the kit,
 * the fixtures module (`"conformance"`), a module file, or an installed package name.
 */
import type { Backend } from '@wacs/core/backend';
import { importBackendModule, readBackendManifest } from '@wacs/core/backend/node';
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConformanceFixtures } from './types.js';

export interface FoundBackend {
  /** The package name, or the path given. */
  label: string;
  backend: Backend;
  /** The fixtures module the package.json names in `wacs.conformance`, if any. */
  fixtures?: string;
}

/** node_modules/<name> in `from` or a folder above it. */
function installedPackage(name: string, from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

async function importModule(path: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/** A backend from `<package-name|folder|file>`, resolved from `cwd`. */
export async function findBackend(spec: string, cwd = process.cwd()): Promise<FoundBackend> {
  const asPath = isAbsolute(spec) || spec.startsWith('.') ? resolve(cwd, spec) : undefined;
  let dir: string | undefined;
  let entry: string | undefined;
  if (asPath) {
    if (!existsSync(asPath)) throw new Error(`${spec} does not exist`);
    if (statSync(asPath).isDirectory()) dir = asPath;
    else entry = asPath;
  } else {
    dir = installedPackage(spec, cwd);
    if (!dir) throw new Error(`package ${spec} is not installed in ${cwd} or a folder above it`);
  }
  const manifest = dir ? readBackendManifest(dir) : undefined;
  const backend = await importBackendModule(manifest?.entry ?? entry!);
  return { label: manifest?.package ?? spec, backend, fixtures: manifest?.conformance };
}

/** Fixtures from a module: its default export (or `fixtures`), an object or a function returning one. */
export async function loadFixtures(path: string): Promise<ConformanceFixtures> {
  const module = await importModule(resolve(path));
  const value = module.default ?? module.fixtures;
  if (value === undefined) throw new Error(`${path} exports no fixtures (a default export, or a named export "fixtures")`);
  const fixtures = typeof value === 'function' ? await (value as () => ConformanceFixtures | Promise<ConformanceFixtures>)() : value;
  return fixtures as ConformanceFixtures;
}
