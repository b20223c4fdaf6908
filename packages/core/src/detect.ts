/** The probe of a model at a host path, for `autodetect` loads by name (sniffing itself is sniff.ts). */
import { open, readdir, stat } from 'node:fs/promises';
import type { FormatProbe } from './backend.js';
import { NnError } from './errors.js';
import { HEAD_BYTES, sniffBytes, sniffFolder } from './sniff.js';

/** Whether a model "path" is a server address (`--model big=https://host:port,backend=remote,…`). */
export function isModelUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/**
 * Builds the probe backends see, from a host path; `not-found` if it does not exist. A URL is not
 * read: its probe (format `url`) is for backends that serve models over the network.
 */
export async function probePath(path: string): Promise<FormatProbe> {
  if (isModelUrl(path)) return { path, isDirectory: false, head: new Uint8Array(), format: 'url' };
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
