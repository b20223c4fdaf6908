// Files in the directories the host preopened (`wacs run --dir host::guest`): read, write, list.
// Paths are guest paths, e.g. /data/model.onnx under a preopened /data.
import { getDirectories } from 'wasi:filesystem/preopens@0.2.3';
import type { Descriptor, DescriptorType } from 'wasi:filesystem/types@0.2.3';

/** wasi:filesystem errors arrive as thrown objects whose payload is the error-code string. */
function fsError(e: unknown, what: string, path: string): Error {
  const code = (e as { payload?: unknown }).payload ?? e;
  return new Error(`${what} ${path}: ${String(code)}`);
}

/** The preopened directory holding `path`, and the path relative to it. */
function locate(path: string): [Descriptor, string] {
  let best: [Descriptor, string] | undefined;
  let bestLength = -1;
  for (const [descriptor, root] of getDirectories()) {
    const prefix = root.replace(/\/+$/, '');
    const inside = path === prefix || path.startsWith(`${prefix}/`) || prefix === '' || prefix === '.';
    if (inside && prefix.length > bestLength) {
      best = [descriptor, path.slice(prefix.length).replace(/^\/+/, '') || '.'];
      bestLength = prefix.length;
    }
  }
  if (!best) throw new Error(`${path} is not under a preopened directory (grant one with --dir)`);
  return best;
}

function open(path: string, write: boolean): Descriptor {
  const [dir, rel] = locate(path);
  try {
    return write
      ? dir.openAt({}, rel, { create: true, truncate: true }, { write: true })
      : dir.openAt({ symlinkFollow: true }, rel, {}, { read: true });
  } catch (e) {
    throw fsError(e, write ? 'cannot create' : 'cannot open', path);
  }
}

export function readFile(path: string): Uint8Array {
  const file = open(path, false);
  let size: number;
  try {
    size = Number(file.stat().size);
  } catch (e) {
    throw fsError(e, 'cannot stat', path);
  }
  // Read what stat promised; shims differ on the end-of-file flag, so a short read ends it.
  const all = new Uint8Array(size);
  let total = 0;
  while (total < size) {
    let chunk: Uint8Array;
    try {
      [chunk] = file.read(BigInt(Math.min(size - total, 1 << 24)), BigInt(total));
    } catch (e) {
      throw fsError(e, 'cannot read', path);
    }
    if (chunk.length === 0) break;
    all.set(chunk, total);
    total += chunk.length;
  }
  return total === size ? all : all.subarray(0, total);
}

/** A file opened for writing from the start; each `write` appends. */
export class FileWriter {
  private readonly file: Descriptor;
  private offset = 0n;

  constructor(private readonly path: string) {
    this.file = open(path, true);
  }

  write(data: Uint8Array | string): void {
    let bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    while (bytes.length) {
      let written: bigint;
      try {
        written = this.file.write(bytes, this.offset);
      } catch (e) {
        throw fsError(e, 'cannot write', this.path);
      }
      this.offset += written;
      bytes = bytes.subarray(Number(written));
    }
  }
}

export function writeFile(path: string, data: Uint8Array | string): void {
  new FileWriter(path).write(data);
}

/** The entries of a directory, sorted by name. */
export function listDir(path: string): Array<{ name: string; type: DescriptorType }> {
  const [dir, rel] = locate(path);
  const entries: Array<{ name: string; type: DescriptorType }> = [];
  try {
    const target = dir.openAt({ symlinkFollow: true }, rel, { directory: true }, { read: true });
    const stream = target.readDirectory();
    for (let entry = stream.readDirectoryEntry(); entry; entry = stream.readDirectoryEntry()) entries.push({ name: entry.name, type: entry.type });
  } catch (e) {
    throw fsError(e, 'cannot list', path);
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function exists(path: string): boolean {
  try {
    open(path, false);
    return true;
  } catch {
    return false;
  }
}
