/**
 * Confinement on top of node:wasi for preview1 guests. Node documents node:wasi as no security
 * sandbox, and the hardening suite found where it is not one: it follows a symlinked directory in
 * the middle of a path out of a preopen, passes proc_raise to the host process, lets a guest close
 * or renumber the host's own stdio, treats stdio fds as sockets, deadlocks on invalid set-times
 * flags, and checks an iovec count in 32-bit arithmetic (a wrapped count passes, then the host
 * allocates gigabytes), and sleeps in native code for poll_oneoff, where --timeout cannot end the
 * worker. Each import below closes one of those; the rest pass through.
 */
import { dirname, basename, join, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { inside, realPath } from './sandbox.js';

type WasiFunction = (...args: number[]) => number;
type WasiImports = Record<string, WasiFunction>;

const ERRNO = { badf: 8, fault: 21, inval: 28, notsup: 58, perm: 63, rofs: 69 } as const;
/** path_open's oflags that change the file system: creat, excl, trunc. */
const OFLAGS_WRITE = 1 | 4 | 8;
const FDFLAGS_APPEND = 1;
/**
 * Rights that write file data: fd_write, fd_allocate, fd_filestat_set_size. (Guests ask for
 * fd_filestat_set_times and fd_sync on every open, read-only ones included: set_times is refused
 * per call below.)
 */
const RIGHTS_WRITE = (1n << 6n) | (1n << 8n) | (1n << 22n);
const LOOKUP_SYMLINK_FOLLOW = 1;
const FST = { atim: 1, atimNow: 2, mtim: 4, mtimNow: 8, all: 15 } as const;
const IOVEC_BYTES = 8;
/** poll_oneoff records (wasi_snapshot_preview1.witx): a subscription is 48 bytes, an event 32. */
const SUBSCRIPTION_BYTES = 48;
const EVENT_BYTES = 32;
const EVENTTYPE_CLOCK = 0;
const SUBCLOCKFLAGS_ABSTIME = 1;
const CLOCK_REALTIME = 0;
/** Preopened directories are numbered from 3, in the order given to node:wasi. */
const FIRST_PREOPEN_FD = 3;

interface Location {
  root: string;
  path: string;
  /** Under a folder granted read-only (`--dir …:readonly`): every write is refused with rofs. */
  readonly?: boolean;
}

export function confinePreview1(
  imports: WasiImports,
  memory: () => WebAssembly.Memory | undefined,
  preopens: Record<string, string>,
  readonlyDirs: readonly string[] = [],
): WasiImports {
  const locations = new Map<number, Location>();
  Object.entries(preopens).forEach(([guest, host], i) => {
    const root = realpathSync(host);
    locations.set(FIRST_PREOPEN_FD + i, { root, path: root, readonly: readonlyDirs.includes(guest) });
  });
  /** rofs when the directory fd lies under a read-only grant. */
  const readonlyAt = (fd: number): number => (locations.get(fd)?.readonly ? ERRNO.rofs : 0);
  /** A path call that changes the file system: refused under a read-only grant, then confined. */
  const writing =
    (name: string, fds: number[], ...paths: Parameters<typeof checked>[1][]) =>
    (...args: number[]) =>
      fds.map((i) => readonlyAt(args[i]!)).find((e) => e !== 0) ?? checked(name, ...paths)(...args);
  const decoder = new TextDecoder();

  // Wasm i32 arguments arrive as signed numbers: pointers and lengths are read as unsigned (>>> 0).

  /** The guest string at ptr/len, or undefined when it lies outside guest memory. */
  const guestString = (ptr: number, len: number): string | undefined => {
    const buffer = memory()?.buffer;
    [ptr, len] = [ptr >>> 0, len >>> 0];
    if (!buffer || ptr + len > buffer.byteLength) return undefined;
    return decoder.decode(new Uint8Array(buffer, ptr, len));
  };

  /**
   * errno when `path` (relative to the directory fd) would leave that fd's preopen, else 0.
   * `follow`: the last component is followed if it is a symlink (open, stat with FOLLOW).
   */
  const refuse = (fd: number, ptr: number, len: number, follow: boolean): number => {
    const at = locations.get(fd);
    if (!at) return 0; // not a directory wacs opened: node:wasi refuses it on its own
    const path = guestString(ptr, len);
    if (path === undefined) return ERRNO.fault;
    const target = resolve(at.path, path);
    if (!inside(target, at.root)) return ERRNO.perm;
    const real = follow ? realPath(target) : join(realPath(dirname(target)), basename(target));
    return inside(real, at.root) ? 0 : ERRNO.perm;
  };

  const checked =
    (name: string, ...paths: Array<{ fd: number; ptr: number; len: number; follow?: number | true }>) =>
    (...args: number[]) => {
      for (const p of paths) {
        const follow = p.follow === true || (p.follow !== undefined && (args[p.follow]! & LOOKUP_SYMLINK_FOLLOW) !== 0);
        const errno = refuse(args[p.fd]!, args[p.ptr]!, args[p.len]!, follow);
        if (errno) return errno;
      }
      return imports[name]!(...args);
    };

  const validTimes = (flags: number) =>
    (flags & ~FST.all) === 0 && !((flags & FST.atim && flags & FST.atimNow) || (flags & FST.mtim && flags & FST.mtimNow));

  /** The iovec array and every buffer it names lie in guest memory (checked without 32-bit wrap). */
  const validIovecs = (iovs: number, count: number): boolean => {
    const buffer = memory()?.buffer;
    [iovs, count] = [iovs >>> 0, count >>> 0];
    if (!buffer || iovs + count * IOVEC_BYTES > buffer.byteLength) return false;
    const view = new DataView(buffer);
    for (let i = 0; i < count; i++) {
      const base = view.getUint32(iovs + i * IOVEC_BYTES, true);
      const length = view.getUint32(iovs + i * IOVEC_BYTES + 4, true);
      if (base + length > buffer.byteLength) return false;
    }
    return true;
  };
  const withIovecs =
    (name: string) =>
    (...args: number[]) =>
      validIovecs(args[1]!, args[2]!) ? imports[name]!(...args) : ERRNO.fault;
  const refused = () => ERRNO.notsup;

  /** Nanoseconds on a WASI clock, as node:wasi's clock_time_get reports them. */
  const now = (clock: number): bigint => (clock === CLOCK_REALTIME ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint());
  const sleeper = new Int32Array(new SharedArrayBuffer(4));

  /**
   * poll_oneoff with clock subscriptions only (a guest's sleep) waits here, in an Atomics.wait that
   * worker.terminate() interrupts; subscriptions on fds go to node:wasi.
   */
  const pollOneoff = (...args: number[]): number => {
    const [inPtr, outPtr, count, countOut] = args.map((a) => a >>> 0) as [number, number, number, number];
    const buffer = memory()?.buffer;
    if (!buffer || count <= 0 || inPtr + count * SUBSCRIPTION_BYTES > buffer.byteLength || outPtr + count * EVENT_BYTES > buffer.byteLength || countOut + 4 > buffer.byteLength) {
      return imports.poll_oneoff!(...args);
    }
    const view = new DataView(buffer);
    const deadlines: Array<{ userdata: bigint; due: bigint; clock: number }> = [];
    for (let i = 0; i < count; i++) {
      const at = inPtr + i * SUBSCRIPTION_BYTES;
      if (view.getUint8(at + 8) !== EVENTTYPE_CLOCK) return imports.poll_oneoff!(...args);
      const clock = view.getUint32(at + 16, true);
      const timeout = view.getBigUint64(at + 24, true);
      const absolute = (view.getUint16(at + 40, true) & SUBCLOCKFLAGS_ABSTIME) !== 0;
      deadlines.push({ userdata: view.getBigUint64(at, true), clock, due: absolute ? timeout : now(clock) + timeout });
    }
    for (;;) {
      const due = deadlines.filter((d) => d.due <= now(d.clock));
      if (due.length) {
        const out = new DataView(memory()!.buffer);
        due.forEach((d, i) => {
          const at = outPtr + i * EVENT_BYTES;
          for (let b = 0; b < EVENT_BYTES; b++) out.setUint8(at + b, 0);
          out.setBigUint64(at, d.userdata, true);
          out.setUint8(at + 10, EVENTTYPE_CLOCK);
        });
        out.setUint32(countOut, due.length, true);
        return 0;
      }
      const waitNs = deadlines.reduce((min, d) => (d.due - now(d.clock) < min ? d.due - now(d.clock) : min), 60_000_000_000n);
      Atomics.wait(sleeper, 0, 0, Math.max(1, Number(waitNs / 1_000_000n)));
    }
  };

  return {
    ...imports,
    fd_read: withIovecs('fd_read'),
    fd_write: withIovecs('fd_write'),
    fd_pread: withIovecs('fd_pread'),
    fd_pwrite: withIovecs('fd_pwrite'),
    poll_oneoff: pollOneoff,
    proc_raise: refused,
    sock_accept: refused,
    sock_recv: refused,
    sock_send: refused,
    sock_shutdown: refused,
    path_open: (...args: number[]) => {
      const [fd, dirflags, ptr, len, oflags, rightsBase, , fdflags, fdOut] = args as [number, number, number, number, number, unknown, number, number, number];
      const at = locations.get(fd);
      if (at?.readonly && ((oflags & OFLAGS_WRITE) !== 0 || (fdflags & FDFLAGS_APPEND) !== 0 || (BigInt(rightsBase as bigint) & RIGHTS_WRITE) !== 0n)) {
        return ERRNO.rofs;
      }
      const errno = refuse(fd, ptr, len, (dirflags & LOOKUP_SYMLINK_FOLLOW) !== 0) || imports.path_open!(...args);
      const buffer = memory()?.buffer;
      if (errno === 0 && at && buffer && (fdOut >>> 0) + 4 <= buffer.byteLength) {
        const opened = new DataView(buffer).getUint32(fdOut >>> 0, true);
        locations.set(opened, { root: at.root, path: resolve(at.path, guestString(ptr, len)!), readonly: at.readonly });
      }
      return errno;
    },
    path_filestat_get: checked('path_filestat_get', { fd: 0, ptr: 2, len: 3, follow: 1 }),
    path_filestat_set_times: (...args: number[]) =>
      validTimes(args[6]!) ? writing('path_filestat_set_times', [0], { fd: 0, ptr: 2, len: 3, follow: 1 })(...args) : ERRNO.inval,
    fd_filestat_set_times: (...args: number[]) =>
      readonlyAt(args[0]!) || (validTimes(args[3]!) ? imports.fd_filestat_set_times!(...args) : ERRNO.inval),
    path_readlink: checked('path_readlink', { fd: 0, ptr: 1, len: 2 }),
    path_create_directory: writing('path_create_directory', [0], { fd: 0, ptr: 1, len: 2 }),
    path_remove_directory: writing('path_remove_directory', [0], { fd: 0, ptr: 1, len: 2 }),
    path_unlink_file: writing('path_unlink_file', [0], { fd: 0, ptr: 1, len: 2 }),
    path_rename: writing('path_rename', [0, 3], { fd: 0, ptr: 1, len: 2 }, { fd: 3, ptr: 4, len: 5 }),
    path_link: writing('path_link', [4], { fd: 0, ptr: 2, len: 3, follow: 1 }, { fd: 4, ptr: 5, len: 6 }),
    path_symlink: (...args: number[]) => {
      const [targetPtr, targetLen, fd, ptr, len] = args as [number, number, number, number, number];
      const errno = readonlyAt(fd) || refuse(fd, ptr, len, false);
      if (errno) return errno;
      // The link must not point out of the preopen either (read relative to the link's folder).
      const at = locations.get(fd);
      const target = guestString(targetPtr, targetLen);
      if (at && target !== undefined) {
        const linkDir = dirname(resolve(at.path, guestString(ptr, len)!));
        if (!inside(resolve(linkDir, target), at.root)) return ERRNO.perm;
      }
      return imports.path_symlink!(...args);
    },
    fd_close: (fd: number) => {
      // The guest's stdio are the host's own descriptors: closing them would close the host's.
      if (fd <= 2) return 0;
      const errno = imports.fd_close!(fd);
      if (errno === 0) locations.delete(fd);
      return errno;
    },
    fd_renumber: (from: number, to: number) => {
      if (from <= 2 || to <= 2) return ERRNO.notsup;
      const errno = imports.fd_renumber!(from, to);
      if (errno === 0) {
        const moved = locations.get(from);
        locations.delete(from);
        if (moved) locations.set(to, moved);
        else locations.delete(to);
      }
      return errno;
    },
  };
}
