/** Byte helpers for backends. */
import { readFile } from 'node:fs/promises';
import type { LoadRequest } from './backend.js';
import { NnError } from './errors.js';

/** One array holding the parts in order (the part itself when there is only one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** A load request's model as bytes: the file read, or the guest's graph builders joined. */
export async function modelBytes(request: LoadRequest): Promise<Uint8Array> {
  if (request.source.kind === 'bytes') return concatBytes(request.source.builders);
  try {
    return new Uint8Array(await readFile(request.source.path));
  } catch {
    throw new NnError('not-found', `model file not found: ${request.source.path}`);
  }
}
