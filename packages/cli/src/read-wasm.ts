import { readFile } from 'node:fs/promises';

/** Reads a guest file, or prints why it cannot (missing, a folder, unreadable) and returns undefined. */
export async function readWasm(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory, not a .wasm file' : (e as Error).message;
    console.error(`wacs: cannot read ${path}: ${why}`);
    return undefined;
  }
}
