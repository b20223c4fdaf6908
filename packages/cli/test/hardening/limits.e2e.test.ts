// Limits: --timeout and --max-memory hold whatever the guest does, and when a backend's native
// code takes the host down the person running wacs is told. run.e2e.test.ts and core's
// preview1.test.ts already cover an endless loop (124) and memory.grow past the cap (137) for
// both guest kinds; this file covers what they do not. Findings (F…) refer to docs/security.md.
import { guest, tinyLlamaGguf } from '@wacs/fixtures';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bind, exitOf, fuzzPreview1, linearModelDir, wacs, wat } from './helpers.js';

let dir: string;

/** A backend package in a temp folder (`--bind <folder>`): GGML encoding, behaviour given as source. */
function testBackend(name: string, body: string): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, type: 'module', wacs: { backend: './index.js' } }));
  writeFileSync(join(folder, 'index.js'), `import { writeFileSync } from 'node:fs';\nexport default { name: '${name}', encodings: ['ggml'], ${body} };\n`);
  return folder;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wacs-limits-'));
});

describe('--timeout', () => {
  it('ends the run at the timeout even while the guest waits on a slow host call (F12)', async () => {
    // The guest is blocked in compute, which the backend answers after 12 s (and then leaves a mark).
    const marker = join(dir, 'compute-finished');
    const slow = testBackend(
      'slow-backend',
      `async load() { return { createContext: () => ({ compute: () => new Promise((resolve) => setTimeout(() => { writeFileSync(${JSON.stringify(marker)}, 'late'); resolve([]); }, 12000)), dispose() {} }), dispose() {} }; }`,
    );
    const r = await wacs(['run', guest('fuzz-misuse'), '--bind', slow, '--timeout', '1', '--', 'bytes:ggml:model', 'ctx', 'compute'], { timeoutMs: 30_000 });
    expect(r.stderr).toContain('--timeout of 1 s');
    expect({ exit: exitOf(r), waitedForTheBackend: existsSync(marker) }).toEqual({ exit: 'exit 124', waitedForTheBackend: false });
  });

  it('ends the run at the timeout while a preview1 guest sleeps in poll_oneoff (F14)', async () => {
    // A 60 s sleep (what std::thread::sleep or sleep(3) compile to): node:wasi waits in native code,
    // where worker.terminate() cannot reach the guest's thread.
    const path = join(dir, 'sleep.wasm');
    writeFileSync(
      path,
      await wat(`(module
        (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "_start")
          (i32.store (i32.const 16) (i32.const 1)) ;; a clock subscription on the monotonic clock
          (i64.store (i32.const 24) (i64.const 60000000000)) ;; 60 s, relative
          (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))`),
    );
    const r = await wacs(['run', path, '--timeout', '2'], { timeoutMs: 20_000 });
    expect(exitOf(r)).toBe('exit 124');
    expect(r.stderr).toContain('--timeout of 2 s');
  });
});

describe('--max-memory', () => {
  it('refuses a module whose declared memory is already over the cap, saying so', async () => {
    const path = join(dir, 'big-memory.wasm');
    writeFileSync(path, await wat('(module (memory (export "memory") 1024) (func (export "_start")))'));
    const r = await wacs(['run', path, '--max-memory', '16']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('the guest needs at least 64 MiB of memory, over --max-memory');
  });

  it('also bounds what a guest parks on the host: inputs held by the preview1 front end (F11)', async () => {
    // 64 inputs of 16 MiB, each a host-side copy of the same 16 MiB of guest memory: 1 GiB held
    // for a guest capped at 32 MiB, unless the host counts them against the cap.
    const { models } = linearModelDir('wacs-hoard-');
    const r = await wacs(['run', fuzzPreview1, ...bind('onnx'), ...models, '--max-memory', '32', '--', 'hoard', 'lin', '64', '16']);
    expect(r.stdout).not.toContain('hoarded 1024 MiB');
    expect(r.stdout + r.stderr).toMatch(/refused after \d+ MiB: too_large|max-memory/);
  });
});

describe('a backend that crashes the host process', () => {
  for (const [how, crash] of [
    ['process.abort()', 'process.abort()'],
    ['a segmentation fault', "process.kill(process.pid, 'SIGSEGV')"],
  ] as const) {
    it(`is reported, not silent: ${how} in load ends the run non-zero with a wacs message (F8)`, async () => {
      const crashing = testBackend(`crashing-${how.replace(/\W+/g, '-')}`, `async load() { ${crash}; }`);
      const r = await wacs(['run', guest('fuzz-misuse'), '--bind', crashing, '--', 'bytes:ggml:model']);
      expect(r.code === 0).toBe(false);
      // Node may print its own native stack; the person needs wacs to say what happened and where.
      expect(r.stderr).toMatch(/^wacs: .*(crash|signal|SIG[A-Z]+|abort)/im);
    });
  }
});

describe('the exit code', () => {
  it("is the guest's even when a backend's dispose() never settles (F10)", async () => {
    // A GGUF that llama.cpp fails to load, then a good one, leave node-llama-cpp's dispose pending.
    const good = tinyLlamaGguf();
    const models = join(dir, 'gguf');
    mkdirSync(models);
    writeFileSync(join(models, 'good.gguf'), good);
    writeFileSync(join(models, 'cut.gguf'), Buffer.concat([good.subarray(0, good.length - 76_000), good.subarray(good.length - 75_000)]));
    const metadata = Array.from(Buffer.from('{"n-predict":1}')).join(',');
    const steps = ['load:ggml:/m/cut.gguf', 'load:ggml:/m/good.gguf', 'ctx', 'in:0=U8:3:99,97,116', `in:1=U8:${metadata.split(',').length}:${metadata}`, 'compute', 'drop-ctx', 'drop-graph', 'fail'];
    const r = await wacs(['run', guest('fuzz-misuse'), ...bind('llama'), '--dir', `${models}::/m`, '--', ...steps]);
    expect(r.stdout).toMatch(/^load:ggml:\/m\/cut\.gguf: error /m);
    expect(r.stdout).toMatch(/^compute: ok /m);
    expect(exitOf(r)).toBe('exit 1');
  });
});
