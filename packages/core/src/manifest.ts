/**
 * A backend package's manifest: the `"wacs"` field of its package.json, read one way for everyone
 * who finds backends (`wacs` itself, the conformance kit):
 *
 *   "wacs": { "backend": "./dist/index.js", "priority"?: n, "commands"?: { name: module },
 *             "conformance"?: "./dist/conformance.js" }
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend } from './backend.js';

export interface BackendManifest {
  /** The package name. */
  package: string;
  version: string;
  dir: string;
  /** Absolute path of the module exporting the backend. */
  entry: string;
  /** Registry priority (see `BackendRegistry.register`). */
  priority: number;
  /** Commands the backend adds to wacs (`wacs pull`, …): name → absolute module path. */
  commands: Record<string, string>;
  /** Absolute path of the conformance fixtures module, if the package names one. */
  conformance?: string;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  wacs?: { backend?: unknown; priority?: unknown; commands?: unknown; conformance?: unknown };
}

/** The manifest of the package in `dir`; throws an Error that says what is missing or wrong. */
export function readBackendManifest(dir: string): BackendManifest {
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch (e) {
    throw new Error(`${dir} has no readable package.json: ${(e as Error).message}`);
  }
  const wacs = pkg.wacs;
  if (typeof pkg.name !== 'string' || !wacs || typeof wacs.backend !== 'string') {
    throw new Error(`${dir} is not a wacs backend package: its package.json has no "wacs": { "backend": "<entry>" }`);
  }
  const name = pkg.name;
  const wrong = (field: string, expected: string) => new Error(`${name}: package.json "wacs.${field}" must be ${expected}`);
  if (wacs.priority !== undefined && typeof wacs.priority !== 'number') throw wrong('priority', 'a number');
  if (wacs.conformance !== undefined && typeof wacs.conformance !== 'string') throw wrong('conformance', 'a module path');
  const commands = wacs.commands ?? {};
  if (typeof commands !== 'object' || commands === null || !Object.values(commands).every((v) => typeof v === 'string')) {
    throw wrong('commands', 'an object of command name to module path');
  }
  return {
    package: name,
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    dir,
    entry: join(dir, wacs.backend),
    priority: wacs.priority ?? 0,
    commands: Object.fromEntries(Object.entries(commands as Record<string, string>).map(([command, module]) => [command, join(dir, module)])),
    ...(wacs.conformance !== undefined ? { conformance: join(dir, wacs.conformance) } : {}),
  };
}

/** The manifest of the package in `dir`, or undefined when it is not a backend package. */
export function findBackendManifest(dir: string): BackendManifest | undefined {
  try {
    return readBackendManifest(dir);
  } catch {
    return undefined;
  }
}

/** Imports a backend module: its default export, or its named export `backend`. */
export async function importBackendModule(entry: string): Promise<Backend> {
  const module = (await import(pathToFileURL(entry).href)) as { default?: Backend; backend?: Backend };
  const backend = module.default ?? module.backend;
  if (!backend || typeof backend !== 'object') throw new Error(`${entry} exports no backend (a default export, or a named export "backend")`);
  return backend;
}
