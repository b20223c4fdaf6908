/**
 * Models where named models are URLs (a web page, a Web Worker): a backend running there gets
 * `source.path` as a URL and fetches it, with the same wasi:nn errors as reading a file under Node.
 * Uses only `fetch`, so it bundles for a browser.
 */
import type { LoadRequest } from './backend.js';
import { concatBytes } from './bytes.js';
import { NnError } from './errors.js';

/** A load request's model as bytes: the URL fetched, or the guest's graph builders joined. */
export async function fetchModelBytes(request: LoadRequest): Promise<Uint8Array> {
  if (request.source.kind === 'bytes') return concatBytes(request.source.builders);
  return fetchModelFile(request.source.path);
}

/**
 * A model file at `url`, or the file `relativePath` beside it (the weight shards a tfjs model.json
 * names): `not-found` when the server has none, `invalid-encoding` for a path that is absolute or
 * climbs out of the model's folder, since only files beside the model are read (as under Node).
 */
export async function fetchModelFile(url: string, relativePath?: string): Promise<Uint8Array> {
  const target = relativePath === undefined ? url : besideModel(url, relativePath);
  let response: Response;
  try {
    response = await fetch(target);
  } catch (e) {
    throw new NnError('not-found', `model file ${target} could not be fetched: ${(e as Error).message}`);
  }
  if (!response.ok) throw new NnError('not-found', `model file ${target}: the server answered ${response.status} ${response.statusText}`.trimEnd());
  return new Uint8Array(await response.arrayBuffer());
}

function besideModel(modelUrl: string, relativePath: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(relativePath) || relativePath.startsWith('/') || relativePath.split(/[/\\]/).includes('..')) {
    throw new NnError('invalid-encoding', `"${relativePath}" is not a path relative to the model's folder; only files beside the model are read`);
  }
  return new URL(relativePath, modelUrl).href;
}
