/**
 * A remote model as a file, for `--models-dir`: `<name>.json` holding
 * `{"backend": "remote", "url": "https://host:port", "protocol": "oip", "remote-model": "…", …}`.
 * The folder scan registers it under `<name>`, like a local model file; the keys other than
 * `backend` and `url` are graph options (the registered spec's own options win).
 */
import { readFile } from 'node:fs/promises';
import { NnError, type FormatProbe, type Options } from '@wacs/core/backend';

/** The largest model file read (it is a few lines of JSON). */
const MAX_BYTES = 64 * 1024;

export interface RemoteModelFile {
  url: string;
  options: Options;
}

function parse(text: string): RemoteModelFile | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { backend, url, ...options } = value as Record<string, unknown>;
  if (backend !== 'remote' || typeof url !== 'string') return undefined;
  return { url, options: options as Options };
}

/** Whether a probed file is a remote model file (cheap: its first bytes only). */
export function isRemoteModelFile(probe: FormatProbe): boolean {
  if (probe.isDirectory || probe.format !== 'json' || !probe.head.length) return false;
  return parse(new TextDecoder().decode(probe.head)) !== undefined;
}

export async function readRemoteModelFile(path: string): Promise<RemoteModelFile> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.byteLength > MAX_BYTES) throw new NnError('invalid-encoding', `${path}: a remote model file is a small JSON object, not ${bytes.byteLength} bytes`);
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof NnError) throw e;
    throw new NnError('not-found', `model file not found: ${path}`);
  }
  const file = parse(text);
  if (!file) {
    throw new NnError('invalid-encoding', `${path}: not a remote model file; expected {"backend": "remote", "url": "https://host:port", "protocol": "oip" | "openai", …}`);
  }
  return file;
}
