/**
 * Probing a model on the host's file system: the sniffers of sniff.ts applied to a file's first
 * bytes or a folder's entries.
 */
import { open, readdir, stat } from 'node:fs/promises';
import type { FormatProbe } from './backend.js';
import { NnError } from './errors.js';
import { HEAD_BYTES, sniffBytes, sniffFolder } from './sniff.js';

export { sniffBytes, sniffFolder, probeBytes, encodingOf, type SniffedFormat } from './sniff.js';

/** Builds the probe backends see, from a host path; `not-found` if it does not exist. */
export async function probePath(path: string): Promise<FormatProbe> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new NnError('not-found', `model file not found: ${path}`);
  }
  if (info.isDirectory()) {
    const entries = await readdir(path);
    return { path, isDirectory: true, entries, head: new Uint8Array(), format: sniffFolder(entries).format };
  }
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(Math.min(HEAD_BYTES, info.size));
    await file.read(head, 0, head.length, 0);
    return { path, isDirectory: false, head, format: sniffBytes(head).format };
  } finally {
    await file.close();
  }
}
