/**
 * `--dir` in both spellings: wacs's `host[::guest]` and WasmEdge's `guest:host[:readonly]` (guest
 * first) or plain `host`. A trailing `:readonly` works with either. The host folder must exist: a
 * missing one is a plain error here, not a failure deep in the WASI layer.
 */
import { statSync } from 'node:fs';
import type { DirGrant } from '@wacs/core';

const READONLY = ':readonly';

export class DirGrantError extends Error {}

export function parseDirArg(arg: string): DirGrant {
  let spec = arg;
  const readonly = spec.endsWith(READONLY);
  if (readonly) spec = spec.slice(0, -READONLY.length);
  let host: string;
  let guest: string;
  const wacsForm = spec.indexOf('::');
  if (wacsForm >= 0) {
    host = spec.slice(0, wacsForm);
    guest = spec.slice(wacsForm + 2) || host;
  } else {
    // WasmEdge: the guest path comes first; a single part is both.
    const colon = spec.indexOf(':');
    guest = colon >= 0 ? spec.slice(0, colon) : spec;
    host = colon >= 0 ? spec.slice(colon + 1) : spec;
  }
  if (!host || !guest) throw new DirGrantError(`--dir: expected <guest>:<host>[:readonly], <host>[::<guest>] or <host>, got "${arg}"`);
  let isDir = false;
  try {
    isDir = statSync(host).isDirectory();
  } catch {
    // missing or unreadable: reported below
  }
  if (!isDir) throw new DirGrantError(`--dir: no such directory: ${host}`);
  return readonly ? { host, guest, readonly } : { host, guest };
}
