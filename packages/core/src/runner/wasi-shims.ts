/**
 * preview2-shim's WASI, configured for a sandboxed component guest in a worker: the granted args,
 * env and dirs only, no sockets, no outgoing HTTP, and stdio written straight to the descriptors.
 * Shared by the worker that runs a command (`wasi:cli/run`) and the one that serves HTTP.
 */
import * as cliShim from '@bytecodealliance/preview2-shim/cli';
import * as clocks from '@bytecodealliance/preview2-shim/clocks';
import * as filesystemShim from '@bytecodealliance/preview2-shim/filesystem';
import * as http from '@bytecodealliance/preview2-shim/http';
import * as io from '@bytecodealliance/preview2-shim/io';
import * as random from '@bytecodealliance/preview2-shim/random';
import * as socketsShim from '@bytecodealliance/preview2-shim/sockets';
import { confineFilesystem } from './sandbox.js';
import { writeAllSync } from './stdio.js';

// preview2-shim's configuration hooks (not in its published types).
const cli = cliShim as typeof cliShim & {
  _setArgs(args: string[]): void;
  _setEnv(env: Record<string, string>): void;
  _setCwd(cwd: string): void;
};
const filesystem = filesystemShim as typeof filesystemShim & {
  _setPreopens(preopens: Record<string, string>): void;
  _getPreopens(): Array<[object, string]>;
  types: { Descriptor: { prototype: object } };
};
const sockets = socketsShim as typeof socketsShim & { _denyTcp(): void; _denyUdp(): void; _denyDnsLookup(): void };

const shims: Record<string, Record<string, unknown>> = { cli, clocks, filesystem, http, io, random, sockets };

/** jco's default mapping, `wasi:<pkg>/<iface>` → preview2-shim `<pkg>` export `<iface>` in camelCase. */
export function wasiImport(name: string): unknown {
  const match = /^wasi:([\w-]+)\/([\w-]+)$/.exec(name);
  if (!match) return undefined;
  return shims[match[1]!]?.[match[2]!.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())];
}

/**
 * preview2-shim writes guest output with this worker's process.stdout/stderr, which only flush when
 * the worker's event loop turns: never, while the guest runs. Write straight to the descriptors, so
 * a REPL's prompt shows before it waits for input and output keeps its order with the host's.
 */
function writeThrough(stream: NodeJS.WriteStream, fd: number): void {
  stream.write = ((chunk: string | Uint8Array) => {
    writeAllSync(fd, chunk);
    return true;
  }) as typeof stream.write;
}

export interface SandboxGrants {
  args: string[];
  env: Record<string, string>;
  preopens: Record<string, string>;
  /** Guest paths of the preopens granted read-only (`--dir …:readonly`). */
  readonlyDirs?: readonly string[];
}

/** Configures the shim for this worker's guest; call once, before instantiating. */
export function configureWasiShims(grants: SandboxGrants): void {
  writeThrough(process.stdout, 1);
  writeThrough(process.stderr, 2);
  cli._setArgs(grants.args);
  cli._setEnv(grants.env);
  cli._setCwd('/');
  // Replaces the shim's default preopen of the whole host filesystem with the granted dirs only.
  filesystem._setPreopens(grants.preopens);
  confineFilesystem(filesystem.types.Descriptor, filesystem._getPreopens(), grants.preopens, grants.readonlyDirs);
  sockets._denyTcp();
  sockets._denyUdp();
  sockets._denyDnsLookup();
}

/** `wasi:http/outgoing-handler` for a sandboxed guest: every request is denied. */
export const deniedOutgoingHandler = {
  handle() {
    throw { payload: { tag: 'HTTP-request-denied' } };
  },
};
