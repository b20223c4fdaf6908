/**
 * preview2-shim's WASI, configured for a sandboxed component guest in a worker: the granted args,
 * env and dirs only, no sockets, no outgoing HTTP, and stdio written straight to the descriptors.
 * Shared by the worker that runs a command (`wasi:cli/run`) and the one that serves HTTP.
 */
import { deferShimIoThread } from './deferred-io-thread.js';
import { confineFilesystem } from './sandbox.js';
import { writeAllSync } from './stdio.js';

// Imported only once the deferral is in place: a static import would start the I/O thread first.
deferShimIoThread();
const [cliShim, clocks, filesystemShim, http, ioShim, random, socketsShim] = await Promise.all([
  import('@bytecodealliance/preview2-shim/cli'),
  import('@bytecodealliance/preview2-shim/clocks'),
  import('@bytecodealliance/preview2-shim/filesystem'),
  import('@bytecodealliance/preview2-shim/http'),
  import('@bytecodealliance/preview2-shim/io'),
  import('@bytecodealliance/preview2-shim/random'),
  import('@bytecodealliance/preview2-shim/sockets'),
]);

// preview2-shim's configuration hooks (not in its published types).
const cli = cliShim as typeof cliShim & {
  _setArgs(args: string[]): void;
  _setEnv(env: Record<string, string>): void;
  _setCwd(cwd: string): void;
  _setStdin(stdin: InputStream | undefined): void;
  stdin: { getStdin(): InputStream };
};
/** The members of wasi:io's input-stream that a deferred stdin forwards. */
interface InputStream {
  read(len: bigint): Uint8Array;
  blockingRead(len: bigint): Uint8Array;
  skip(len: bigint): bigint;
  blockingSkip(len: bigint): bigint;
  subscribe(): object;
  [Symbol.dispose]?(): void;
}
/** wasi:io's resource classes; InputStream's constructor is private in the shim's types. */
export const io = ioShim as unknown as typeof ioShim & {
  streams: { InputStream: new () => InputStream; OutputStream: { prototype: object } };
};
export { clocks };
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
  cli._setStdin(deferredStdin());
  // Replaces the shim's default preopen of the whole host filesystem with the granted dirs only.
  filesystem._setPreopens(grants.preopens);
  confineFilesystem(filesystem.types.Descriptor, filesystem._getPreopens(), grants.preopens, grants.readonlyDirs);
  sockets._denyTcp();
  sockets._denyUdp();
  sockets._denyDnsLookup();
}

/**
 * The guest's stdin, opened on its first use: preview2-shim opens stdin on its I/O thread, and
 * every guest asks for it as it starts (the preview1 adapter's descriptor table) though most never
 * read it. Deferring the open leaves that thread unstarted (see deferred-io-thread.ts).
 */
function deferredStdin(): InputStream {
  let real: InputStream | undefined;
  const open = (): InputStream => {
    if (!real) {
      cli._setStdin(undefined);
      real = cli.stdin.getStdin();
      cli._setStdin(stdin);
    }
    return real;
  };
  // A subclass passes jco's check that stdin is an InputStream.
  class DeferredStdin extends io.streams.InputStream {
    override read(len: bigint) {
      return open().read(len);
    }
    override blockingRead(len: bigint) {
      return open().blockingRead(len);
    }
    override skip(len: bigint) {
      return open().skip(len);
    }
    override blockingSkip(len: bigint) {
      return open().blockingSkip(len);
    }
    override subscribe() {
      return open().subscribe();
    }
    override [Symbol.dispose]() {
      real?.[Symbol.dispose]?.();
    }
  }
  const stdin = new DeferredStdin();
  return stdin;
}

/** `wasi:http/outgoing-handler` for a sandboxed guest: every request is denied. */
export const deniedOutgoingHandler = {
  handle() {
    throw { payload: { tag: 'HTTP-request-denied' } };
  },
};
