/**
 * Finding and binding backends. A backend is an npm package whose package.json has
 * `"wacs": { "backend": "<entry>", "priority"?: n }` (and, for search, the keyword `wacs-backend`).
 * `wacs` looks in the current project's node_modules and next to its own installation.
 */
import { BackendRegistry, findBackendManifest, importBackendModule, readBackendManifest, type Backend, type BackendManifest } from '@wacs/core';
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findInstalled } from './installed-packages.js';

/** An installed backend package: its manifest (see core's manifest.ts). */
export type BackendPackage = BackendManifest;

/** Every installed backend package, first found wins per package name. */
export function discoverBackends(): BackendPackage[] {
  return findInstalled(findBackendManifest);
}

/** A command a backend adds to wacs: its module exports `summary` (one line) and `run(argv)`. */
export interface BackendCommand {
  name: string;
  package: string;
  module: string;
}

export function backendCommands(): BackendCommand[] {
  return discoverBackends().flatMap((b) => Object.entries(b.commands).map(([name, module]) => ({ name, package: b.package, module })));
}

export async function loadCommand(command: BackendCommand): Promise<{ summary: string; run: (argv: string[]) => Promise<number> }> {
  const module = (await import(pathToFileURL(command.module).href)) as { summary?: string; run?: (argv: string[]) => Promise<number> };
  if (typeof module.run !== 'function') throw new Error(`${command.package} declares the command "${command.name}" but ${command.module} exports no run(argv)`);
  return { summary: module.summary ?? '', run: module.run };
}

/** Resolves `--bind <package-name|path>` to a backend package. */
export function findBackend(spec: string): BackendPackage {
  const asPath = isAbsolute(spec) || spec.startsWith('.') ? resolve(spec) : undefined;
  if (asPath && existsSync(asPath)) {
    if (statSync(asPath).isDirectory()) return readBackendManifest(asPath);
    return { package: spec, version: '', dir: dirname(asPath), entry: asPath, priority: 0, commands: {} };
  }
  const installed = discoverBackends();
  const match = installed.find((b) => b.package === spec || b.package === `@wacs/backend-${spec}` || b.package === `@wacs/${spec}`);
  if (match) return match;
  const names = installed.map((b) => b.package).join(', ') || '(none; install one, e.g. npm i @wacs/backend-onnx)';
  throw new Error(`no backend "${spec}" is installed; installed backends: ${names}`);
}

export async function importBackend(pkg: BackendPackage): Promise<Backend> {
  const backend = await importBackendModule(pkg.entry);
  if (typeof backend.load !== 'function' || !backend.name) {
    throw new Error(`${pkg.package} does not export a wacs backend (a default export with name, encodings and load)`);
  }
  return backend;
}

/**
 * Binds the named backends (any failure is fatal), or every installed one when none is named
 * (one that fails to load is skipped with a warning, so a broken package does not stop the rest).
 */
export async function bindBackends(specs: string[], warn: (line: string) => void = console.error): Promise<{ registry: BackendRegistry; bound: BackendPackage[] }> {
  const registry = new BackendRegistry();
  const bound: BackendPackage[] = [];
  for (const pkg of specs.length ? specs.map(findBackend) : discoverBackends()) {
    try {
      registry.register(await importBackend(pkg), pkg.priority);
      bound.push(pkg);
    } catch (e) {
      if (specs.length) throw e;
      warn(`wacs: skipping backend ${pkg.package}: ${(e as Error).message}`);
    }
  }
  return { registry, bound };
}
