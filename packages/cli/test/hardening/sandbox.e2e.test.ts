// The sandbox, attacked from inside: a guest with no grants must reach no network, no host files
// and no host process state, and a --dir grant must expose that directory only. Both guest kinds:
// components (preview2-shim, confined by wacs) and preview1 core modules (node:wasi).
// run.e2e.test.ts and core's preview1.test.ts already cover env, plain reads, `..` and a symlinked
// file; this file adds what they do not. Findings (F1…) refer to docs/security.md.
import { buildOnnxModel, buildOnnxModelWithExternalData, guest, type ModelSpec } from '@wacs/fixtures';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bind, exitOf, fuzzPreview1, linearModelDir, netProbe, wacs, wat } from './helpers.js';

let root: string;
let grant: string;
const SECRET = 'TOPSECRET-host-only';

beforeAll(() => {
  // root/secret.txt is outside the grant; root/data is granted and holds links that point out.
  root = mkdtempSync(join(tmpdir(), 'wacs-sandbox-'));
  grant = join(root, 'data');
  mkdirSync(grant);
  writeFileSync(join(root, 'secret.txt'), SECRET);
  writeFileSync(join(grant, 'inside.txt'), 'inside the grant');
  symlinkSync(root, join(grant, 'up-abs')); // a directory link, absolute target
  symlinkSync('..', join(grant, 'up-rel')); // a directory link, relative target
  symlinkSync('/', join(grant, 'host-root'));
});

describe('network', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(`request ${request.url}`);
      response.end('reached');
    });
    server.on('connection', () => seen.push('connection'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('a component guest is refused TCP connect and bind, UDP, DNS and outgoing HTTP, and the server sees nothing', async () => {
    // net-probe prints OPEN for each of these on a host that grants the network (see guests/fuzz-net).
    const r = await wacs(['run', netProbe, '--', String(port)]);
    expect(r.stdout.trim().split('\n')).toEqual([
      'tcp connect: access-denied',
      'tcp bind: access-denied',
      'udp bind: access-denied',
      'dns lookup: permanent-resolver-failure',
      'http request: HTTP-request-denied',
    ]);
    expect(r.code).toBe(0);
    expect(seen).toEqual([]);
  });

  it('a preview1 guest has no socket: std::net fails, and so does every sock_* call on fds 0-7, without taking the host down (F1)', async () => {
    // node:wasi (uvwasi) dereferences fds 0-2 as sockets when they are pipes or /dev/null, as here.
    const r = await wacs(['run', fuzzPreview1, '--', 'sockets', String(port)]);
    expect(exitOf(r)).toBe('exit 0');
    const calls = r.stdout.split('\n').filter((l) => l.startsWith('sock_'));
    expect(calls).toHaveLength(32);
    for (const line of calls) expect(line).not.toMatch(/: 0$/);
    expect(r.stdout).toContain('std::net connect: refused\nstd::net bind: refused\n');
    expect(seen).toEqual([]);
  });
});

describe('files: component guests (wacs confines preview2-shim)', () => {
  it('a symlinked directory inside the grant leads nowhere outside it', async () => {
    const probe = (path: string) => wacs(['run', guest('sandbox-probe'), '--dir', `${grant}::/data`, '--', 'read', path]);
    expect((await probe('inside.txt')).stdout).toBe('inside the grant');
    for (const path of ['up-abs/secret.txt', 'up-rel/secret.txt', 'host-root/etc/hostname', 'up-rel/data/../secret.txt']) {
      const r = await probe(path);
      expect({ path, stdout: r.stdout }).toEqual({ path, stdout: 'errno 63\n' }); // 63: perm
    }
  });
});

describe('files: preview1 guests (node:wasi)', () => {
  const p1 = (args: string[]) => wacs(['run', fuzzPreview1, '--dir', `${grant}::/data`, '--', ...args]);

  it('a guest cannot make a symlink that leads out of its grant', async () => {
    for (const [target, link] of [
      ['/', 'made-root'],
      ['..', 'made-up'],
      ['../..', 'made-up2'],
      ['sub/../..', 'made-up3'],
      [root, 'made-abs'],
    ] as const) {
      const r = await p1(['symlink', target, link]);
      expect({ target, out: r.stdout }).toMatchObject({ target, out: expect.stringMatching(/^error: /) });
      expect(lstatSafe(join(grant, link))).toBe(false);
    }
  });

  it('a guest cannot write, list or read outside its grant through ..', async () => {
    expect((await p1(['write', '/data/../planted.txt', 'x'])).stdout).toMatch(/^error: /);
    expect(existsSync(join(root, 'planted.txt'))).toBe(false);
    expect((await p1(['list', '/data/..'])).stdout).toMatch(/^error: /);
    expect((await p1(['read', '/data/../secret.txt'])).stdout).toMatch(/^error: /);
    expect((await p1(['list', '/data'])).stdout).toBe('host-root inside.txt up-abs up-rel\n');
  });

  it('a symlinked directory inside the grant leads nowhere outside it (F5)', async () => {
    // node:wasi checks only the last path component: a directory link in the middle is followed.
    for (const path of ['/data/up-abs/secret.txt', '/data/up-rel/secret.txt', '/data/host-root/etc/hostname']) {
      const r = await p1(['read', path]);
      expect({ path, escaped: r.stdout.includes(SECRET) || (path.includes('hostname') && r.code === 0) }).toEqual({ path, escaped: false });
      expect(r.stdout).toMatch(/^error: /);
    }
  });
});

function lstatSafe(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

describe('the host process: preview1 calls that node:wasi runs on the host itself', () => {
  it('proc_raise cannot signal the host process (F2)', async () => {
    // WASI signal 9 is SIGKILL, 15 SIGTERM: node:wasi passes them to the host process.
    for (const signal of ['9', '15']) {
      const r = await wacs(['run', fuzzPreview1, '--', 'raise', signal]);
      expect({ signal, exit: exitOf(r) }).toEqual({ signal, exit: 'exit 0' });
      expect(r.stdout).toMatch(/^raise errno [1-9]\d*; load_by_name afterwards: not_found; still here$/m);
    }
  });

  it("closing or renumbering fds 0-2 leaves the host's own stdout and stderr open (F3)", async () => {
    for (const args of [['close', '2'], ['close', '1'], ['renumber', '3', '2']]) {
      const r = await wacs(['run', fuzzPreview1, '--dir', `${grant}::/data`, '--', ...args]);
      // The host logs the failed load_by_name to its stderr after the guest's call: it must arrive.
      expect({ args, exit: exitOf(r), hostLog: r.stderr.includes('no model is registered under the name "no-such-model"') }).toEqual({
        args,
        exit: 'exit 0',
        hostLog: true,
      });
    }
  });

  it('a call node:wasi mishandles cannot wedge the guest or the host (F4)', async () => {
    // path_filestat_set_times with a flag combination or a bit uvwasi refuses: it returns EINVAL
    // with the preopen's lock still held, so the next call on that fd would block the guest's
    // thread for good, in native code, where worker.terminate() cannot reach it.
    for (const flags of [3, 12, 16, 0xffff]) {
      const module = await wat(`(module
        (import "wasi_snapshot_preview1" "path_filestat_set_times" (func $set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_filestat_get" (func $stat (param i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 300) "inside.txt")
        (func (export "_start")
          (drop (call $set_times (i32.const 3) (i32.const 0) (i32.const 300) (i32.const 10) (i64.const 0) (i64.const 0) (i32.const ${flags})))
          (drop (call $stat (i32.const 3) (i32.const 100)))))`);
      const path = join(root, `wedge-${flags}.wasm`);
      writeFileSync(path, module);
      const r = await wacs(['run', path, '--dir', `${grant}::/data`, '--timeout', '3'], { timeoutMs: 8_000 });
      expect({ flags, exit: exitOf(r) }).toEqual({ flags, exit: 'exit 0' }); // both calls returned: nothing waits on a leaked lock
    }
  });

  it('pointers past 2 GiB (negative as i32) get an errno from every call wacs wraps, not a trap (F19)', async () => {
    // wasm passes i32 arguments to JavaScript as signed numbers: 0x80000000 arrives as -2147483648.
    const calls = [
      '(call $poll (i32.const 0x80000000) (i32.const 100) (i32.const 1) (i32.const 200))',
      '(call $poll (i32.const 0) (i32.const 0xfffffff0) (i32.const 1) (i32.const 200))',
      '(call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 0xfffffffc))',
      '(call $write (i32.const 1) (i32.const 0x80000000) (i32.const 1) (i32.const 200))',
      '(call $open (i32.const 3) (i32.const 1) (i32.const 0x80000000) (i32.const 4) (i32.const 0) (i64.const 1) (i64.const 0) (i32.const 0) (i32.const 200))',
      '(call $open (i32.const 3) (i32.const 1) (i32.const 300) (i32.const 10) (i32.const 0) (i64.const 1) (i64.const 0) (i32.const 0) (i32.const 0xfffffffc))',
      '(call $stat (i32.const 3) (i32.const 1) (i32.const 0x80000000) (i32.const 4) (i32.const 200))',
      '(call $symlink (i32.const 0x80000000) (i32.const 4) (i32.const 3) (i32.const 300) (i32.const 10))',
    ];
    const module = await wat(`(module
      (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_filestat_get" (func $stat (param i32 i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_symlink" (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 300) "inside.txt")
      (func (export "_start") ${calls.map((c) => `(drop ${c})`).join(' ')}))`);
    const path = join(root, 'high-pointers.wasm');
    writeFileSync(path, module);
    const r = await wacs(['run', path, '--dir', `${grant}::/data`]);
    expect({ exit: exitOf(r), stderr: r.stderr }).toEqual({ exit: 'exit 0', stderr: '' });
  });

  it('an iovec count whose byte size wraps 32 bits is refused, not allocated (F13)', async () => {
    // node:wasi checks iovs_len * 8 against guest memory in 32-bit arithmetic, so 0x20000001
    // iovecs pass as 8 bytes; it then allocates a vector of 0x20000001 entries (8 GiB and more)
    // and the host dies. A one-page guest with no grants needs only this one call.
    for (const [call, fd] of [
      ['fd_write', 1],
      ['fd_read', 0],
      ['fd_pwrite', 1],
      ['fd_pread', 0],
    ] as const) {
      const offset = call.startsWith('fd_p') ? '(i64.const 0) ' : '';
      const module = await wat(`(module
        (import "wasi_snapshot_preview1" "${call}" (func $call (param i32 i32 i32 ${offset ? 'i64 ' : ''}i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start")
          (call $exit (call $call (i32.const ${fd}) (i32.const 0) (i32.const 0x20000001) ${offset}(i32.const 100)))))`);
      const path = join(root, `iovs-${call}.wasm`);
      writeFileSync(path, module);
      const r = await wacs(['run', path, '--timeout', '10'], { timeoutMs: 20_000 });
      // The guest exits with the errno it got: any non-zero errno, from a host that is still there.
      expect({ call, exit: exitOf(r), died: r.stderr.includes('host process ended abruptly') }).toMatchObject({ call, exit: expect.stringMatching(/^exit ([1-9]|[1-9]\d)$/), died: false });
    }
  });
});

describe('what a guest names or passes never becomes a host path', () => {
  it('load-by-name takes names only: a real model at the path a guest names is not loaded', async () => {
    const { dir, model, models } = linearModelDir('wacs-byname-');
    const names = [model, 'lin.onnx', `../${dir.split('/').pop()}/lin.onnx`, `file://${model}`, '/proc/self/environ', 'lin/..', 'LIN'];
    const r = await wacs(['run', guest('fuzz-misuse'), ...bind('onnx'), ...models, '--', ...names.map((n) => `name:${n}`), 'name:lin'], { cwd: dir });
    for (const name of names) expect(r.stdout).toContain(`name:${name}: error not-found: no model is registered under the name "${name}"; registered: lin\n`);
    expect(r.stdout).toContain('name:lin: ok\n');
  });

  it('model bytes from a guest cannot make an engine read host files through ONNX external data (F6)', async () => {
    // The host's working directory holds secret.bin; the guest sees only models/ and loads bytes
    // from there whose initializer points at secret.bin. The leak output would carry its bytes.
    const cwd = mkdtempSync(join(tmpdir(), 'wacs-cwd-'));
    writeFileSync(join(cwd, 'secret.bin'), SECRET);
    const models = join(cwd, 'models');
    mkdirSync(models);
    const leak = (extra: Partial<ModelSpec>): ModelSpec => ({
      name: 'leak',
      inputs: [{ name: 'X', type: 'float', shape: [1, 1] }],
      outputs: [
        { name: 'variable', type: 'float', shape: [1, 1] },
        { name: 'leak', type: 'uint8', shape: [SECRET.length] },
      ],
      initializers: [{ name: 'W', type: 'uint8', dims: [SECRET.length], data: new Uint8Array(SECRET.length) }],
      nodes: [{ op: 'Identity', inputs: ['W'], outputs: ['leak'] }, ...(extra.nodes ?? [{ op: 'Identity', inputs: ['X'], outputs: ['variable'] }])],
      ...(extra.opsets ? { opsets: extra.opsets } : {}),
    });
    // The same model for backend-classic: an ai.onnx.ml node makes it ONNX-ML.
    const ml: Partial<ModelSpec> = {
      nodes: [{ op: 'Scaler', domain: 'ai.onnx.ml', inputs: ['X'], outputs: ['variable'], attributes: { offset: { floats: [0] }, scale: { floats: [2] } } }],
      opsets: { 'ai.onnx.ml': 3 },
    };
    for (const [name, spec] of [
      ['onnx', leak({})],
      ['classic', leak(ml)],
    ] as const) {
      writeFileSync(join(models, `${name}-embedded.onnx`), buildOnnxModel(spec));
      writeFileSync(join(models, `${name}-external.onnx`), buildOnnxModelWithExternalData(spec, 'secret.bin').model);
    }
    const secretBytes = Array.from(Buffer.from(SECRET)).join(',');
    for (const backend of ['onnx', 'classic'] as const) {
      const steps = (file: string) => [`load:onnx:/models/${file}`, 'ctx', 'in:X=FP32:1x1:3', 'compute'];
      const r = await wacs(['run', guest('fuzz-misuse'), ...bind(backend), '--dir', `${models}::/models`, '--', ...steps(`${backend}-embedded.onnx`), ...steps(`${backend}-external.onnx`)], { cwd });
      // The control: the same model with its initializer inside loads and computes through this backend.
      expect(r.stdout).toContain(`load:onnx:/models/${backend}-embedded.onnx: ok\n`);
      expect(r.stdout).toMatch(/compute: ok .*leak U8 \[19\] 0,0,0/);
      expect({ backend, leaked: r.stdout.includes(secretBytes) }).toEqual({ backend, leaked: false });
      expect(r.stdout).toMatch(new RegExp(`load:onnx:/models/${backend}-external.onnx: error `));
    }
  });
});
