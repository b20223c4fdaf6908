/**
 * `@wacs/core/backend/node`: the backend helpers that need Node: reading a model from a host path,
 * probing one as the host does, and reading a backend package's manifest (for backends' tests, the
 * conformance kit and the CLI's discovery).
 * Like `@wacs/core/backend`, importing it does nothing; unlike it, it does not bundle for a browser.
 */
import { readFile } from 'node:fs/promises';
import type { LoadRequest } from './backend.js';
import { concatBytes } from './bytes.js';
import { NnError } from './errors.js';

export { probePath } from './detect.js';
export { readBackendManifest, findBackendManifest, importBackendModule, type BackendManifest } from './manifest.js';

/** A load request's model as bytes: the file read, or the guest's graph builders joined. */
export async function modelBytes(request: LoadRequest): Promise<Uint8Array> {
  if (request.source.kind === 'bytes') return concatBytes(request.source.builders);
  try {
    return new Uint8Array(await readFile(request.source.path));
  } catch {
    throw new NnError('not-found', `model file not found: ${request.source.path}`);
  }
}
