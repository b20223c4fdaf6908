/**
 * Finding a guest by name as well as by path, for `wacs run` and `wacs serve`.
 *
 * A guest package is an npm package whose package.json has `"wacs": { "guests": { "<name>":
 * "<path to .wasm>" } }` (e.g. @wacs/guests), found where wacs finds backends: the current
 * project's node_modules and next to wacs. A guest argument is resolved in this order, so a path
 * always wins and a name never means two things:
 *
 * 1. an existing file (relative to the current directory, or absolute): that file;
 * 2. something written as a path (absolute, starting with `.`, or ending in `.wasm`): that path,
 *    which does not exist;
 * 3. `<package>/<guest>` (`@wacs/guests/nn-compute`): that guest of that installed package;
 * 4. `<guest>` (`nn-compute`): the guest of that name in the one installed package that has it;
 *    in several packages, an error naming each `<package>/<guest>` to choose from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { findInstalled } from './installed-packages.js';
import { readWasm } from './read-wasm.js';

export interface GuestPackage {
  package: string;
  version: string;
  dir: string;
  /** Guest name → absolute path of its .wasm. */
  guests: Record<string, string>;
}

export interface ResolvedGuest {
  /** The file to run. */
  path: string;
  /** How the guest calls itself (argv[0]): the file name, or the guest's name. */
  name: string;
  /** The package it came from, when found by name. */
  package?: string;
}

/** Where a guest's `wacs compile` artifact sits: `guest.wasm` → `guest.wacs`, beside it. */
export function artifactPathFor(guestPath: string): string {
  return guestPath.endsWith('.wasm') ? `${guestPath.slice(0, -'.wasm'.length)}.wacs` : `${guestPath}.wacs`;
}

/** The artifact `wacs run` and `wacs serve` look for beside a component file, if any. */
export function artifactBeside(guestPath: string): string | undefined {
  return guestPath.endsWith('.wasm') ? artifactPathFor(guestPath) : undefined;
}

/** A guest argument that names no file and no installed guest. */
export class GuestNotFoundError extends Error {}

function guestPackageAt(dir: string): GuestPackage | undefined {
  let pkg: { name?: string; version?: string; wacs?: { guests?: Record<string, unknown> } };
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    return undefined;
  }
  const declared = pkg.wacs?.guests;
  if (!pkg.name || !declared || typeof declared !== 'object') return undefined;
  const guests = Object.fromEntries(Object.entries(declared).filter(([, path]) => typeof path === 'string').map(([name, path]) => [name, join(dir, path as string)]));
  return { package: pkg.name, version: pkg.version ?? '0.0.0', dir, guests };
}

/** Every installed guest package, first found wins per package name (as for backends). */
export function discoverGuestPackages(): GuestPackage[] {
  return findInstalled(guestPackageAt);
}

function guestIn(pkg: GuestPackage, name: string): string | undefined {
  return Object.hasOwn(pkg.guests, name) ? pkg.guests[name] : undefined;
}

/** `<package>/<guest>` split into its parts, or undefined when the argument has another shape. */
function packageAndGuest(spec: string): { pkg: string; guest: string } | undefined {
  const parts = spec.split('/');
  const scoped = spec.startsWith('@');
  if (parts.length !== (scoped ? 3 : 2) || parts.some((p) => p === '')) return undefined;
  return { pkg: parts.slice(0, -1).join('/'), guest: parts.at(-1)! };
}

function installedList(packages: GuestPackage[]): string {
  const names = packages.flatMap((p) => Object.keys(p.guests).map((g) => `${p.package}/${g}`));
  return names.length ? `installed guests: ${names.join(', ')}` : 'no guest package is installed (npm i -g @wacs/guests installs the examples)';
}

/**
 * Resolves a guest argument of `wacs run` / `wacs serve` to a file, by the rules at the top of
 * this file. Throws GuestNotFoundError, listing the installed guests, for an unknown name.
 */
export function resolveGuest(spec: string, packages: () => GuestPackage[] = discoverGuestPackages): ResolvedGuest {
  const asPath = { path: resolve(spec), name: basename(spec) };
  if (existsSync(asPath.path)) return asPath;
  if (isAbsolute(spec) || spec.startsWith('.') || spec.endsWith('.wasm') || spec.includes('\\')) {
    // `wacs run nn-compute.wasm` where only the installed guest exists: say how to name it.
    const named = spec.endsWith('.wasm') && !spec.includes('/') ? packages().find((p) => guestIn(p, spec.slice(0, -'.wasm'.length))) : undefined;
    if (named) throw new GuestNotFoundError(`no file ${spec}; to run the installed guest of that name, leave out ".wasm": ${spec.slice(0, -'.wasm'.length)} (${named.package})`);
    return asPath;
  }
  const installed = packages();
  const qualified = packageAndGuest(spec);
  if (qualified) {
    const pkg = installed.find((p) => p.package === qualified.pkg);
    if (!pkg) throw new GuestNotFoundError(`no file ${spec}, and no guest package ${qualified.pkg} is installed; ${installedList(installed)}`);
    const path = guestIn(pkg, qualified.guest);
    if (!path) throw new GuestNotFoundError(`${pkg.package} has no guest "${qualified.guest}" (and there is no file ${spec}); ${installedList([pkg])}`);
    return { path, name: qualified.guest, package: pkg.package };
  }
  if (!spec.includes('/')) {
    const matches = installed.filter((p) => guestIn(p, spec));
    if (matches.length === 1) return { path: guestIn(matches[0]!, spec)!, name: spec, package: matches[0]!.package };
    if (matches.length > 1) throw new GuestNotFoundError(`several installed packages have a guest "${spec}": say which, e.g. ${matches.map((p) => `${p.package}/${spec}`).join(' or ')}`);
  }
  throw new GuestNotFoundError(`no file ${spec}, and no installed guest has that name; ${installedList(installed)}`);
}

/**
 * Resolves a guest argument and reads the guest, or prints why it cannot (unknown name, missing
 * file, a folder, unreadable) on stderr and returns undefined.
 */
export async function readGuest(spec: string): Promise<(ResolvedGuest & { bytes: Uint8Array }) | undefined> {
  let guest: ResolvedGuest;
  try {
    guest = resolveGuest(spec);
  } catch (e) {
    if (!(e instanceof GuestNotFoundError)) throw e;
    console.error(`wacs: ${e.message}`);
    return undefined;
  }
  const bytes = await readWasm(guest.package ? guest.path : spec);
  return bytes && { ...guest, bytes };
}
