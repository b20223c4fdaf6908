/**
 * Filesystem confinement on top of preview2-shim. The shim maps a guest path to a host path by
 * joining strings and rejects `..` above the root, but it follows symlinks wherever they point (its
 * own TODO). Here every descriptor remembers the preopened root it came from, and every call that
 * takes a path first resolves the real host path (symlinks included) and refuses anything outside
 * that root with `not-permitted`.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, basename, join, relative, resolve, isAbsolute } from 'node:path';

interface Location {
  /** Real path of the preopened directory this descriptor lives under. */
  root: string;
  /** Host path of this descriptor. */
  path: string;
  /** Under a folder granted read-only (`--dir …:readonly`). */
  readonly?: boolean;
}

type DescriptorLike = Record<string, (...args: unknown[]) => unknown>;

/** Methods of wasi:filesystem `descriptor` that take a path, and where their paths are. */
const PATH_ARGUMENTS: Record<string, Array<{ path: number; descriptor?: number }>> = {
  openAt: [{ path: 1 }],
  statAt: [{ path: 1 }],
  setTimesAt: [{ path: 1 }],
  linkAt: [{ path: 1 }, { path: 3, descriptor: 2 }],
  readlinkAt: [{ path: 0 }],
  removeDirectoryAt: [{ path: 0 }],
  renameAt: [{ path: 0 }, { path: 2, descriptor: 1 }],
  symlinkAt: [{ path: 1 }],
  unlinkFileAt: [{ path: 0 }],
  createDirectoryAt: [{ path: 0 }],
  metadataHashAt: [{ path: 1 }],
};

/** Methods that change the file system, refused under a read-only grant (all but openAt, checked by its flags). */
const WRITING_METHODS = [
  'setTimesAt', 'linkAt', 'removeDirectoryAt', 'renameAt', 'symlinkAt', 'unlinkFileAt', 'createDirectoryAt',
  'write', 'writeViaStream', 'appendViaStream', 'setSize', 'setTimes',
];

interface OpenFlags {
  create?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}
interface DescriptorFlags {
  write?: boolean;
  mutateDirectory?: boolean;
}

/** Whether `path` is `root` or lies below it (both absolute). */
export function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The real path of `path`, resolving symlinks in every part that exists. */
export function realPath(path: string): string {
  let existing = path;
  const missing: string[] = [];
  while (!existsSync(existing) && dirname(existing) !== existing) {
    missing.unshift(basename(existing));
    existing = dirname(existing);
  }
  return join(realpathSync(existing), ...missing);
}

export function confineFilesystem(
  descriptorClass: { prototype: object },
  preopens: Array<[object, string]>,
  hostDirs: Record<string, string>,
  readonlyDirs: readonly string[] = [],
): void {
  const locations = new WeakMap<object, Location>();
  for (const [descriptor, guestPath] of preopens) {
    const root = realpathSync(hostDirs[guestPath]!);
    locations.set(descriptor, { root, path: root, readonly: readonlyDirs.includes(guestPath) });
  }
  const check = (at: Location | undefined, subpath: unknown) => {
    if (!at || typeof subpath !== 'string') throw 'not-permitted';
    const target = resolve(at.path, subpath);
    if (!inside(target, at.root) || !inside(realPath(target), at.root)) throw 'not-permitted';
  };
  const proto = descriptorClass.prototype as DescriptorLike;
  for (const method of WRITING_METHODS) {
    const original = proto[method];
    if (typeof original !== 'function') continue;
    proto[method] = function (this: object, ...args: unknown[]) {
      // renameAt and linkAt also write where their second descriptor points.
      const other = method === 'renameAt' || method === 'linkAt' ? (args[method === 'renameAt' ? 1 : 2] as object) : undefined;
      if (locations.get(this)?.readonly || (other && locations.get(other)?.readonly)) throw 'read-only';
      return original.apply(this, args);
    };
  }
  const openAt = proto.openAt;
  if (typeof openAt === 'function') {
    proto.openAt = function (this: object, ...args: unknown[]) {
      const open = (args[2] ?? {}) as OpenFlags;
      const flags = (args[3] ?? {}) as DescriptorFlags;
      if (locations.get(this)?.readonly && (open.create || open.exclusive || open.truncate || flags.write || flags.mutateDirectory)) throw 'read-only';
      return openAt.apply(this, args);
    };
  }
  for (const [method, paths] of Object.entries(PATH_ARGUMENTS)) {
    const original = proto[method];
    if (typeof original !== 'function') continue;
    proto[method] = function (this: object, ...args: unknown[]) {
      for (const p of paths) {
        check(locations.get(p.descriptor === undefined ? this : (args[p.descriptor] as object)), args[p.path]);
      }
      const result = original.apply(this, args);
      if (method === 'openAt' && result && typeof result === 'object') {
        const at = locations.get(this)!;
        locations.set(result, { root: at.root, path: resolve(at.path, args[1] as string), readonly: at.readonly });
      }
      return result;
    };
  }
}
