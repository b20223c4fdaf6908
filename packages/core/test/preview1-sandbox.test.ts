import { describe, expect, it } from 'vitest';
import { confinePreview1 } from '../src/runner/preview1-sandbox.js';

/** A guest memory and node:wasi imports that record what reached them. */
function setup() {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const reached: string[] = [];
  const passthrough = new Proxy({} as Record<string, (...args: number[]) => number>, {
    get: (_, name: string) => () => {
      reached.push(name);
      return 0;
    },
  });
  return { memory, reached, imports: confinePreview1(passthrough, () => memory, {}) };
}

describe('preview1 confinement on top of node:wasi', () => {
  it('sleeps a clock-only poll_oneoff itself (interruptible), reporting the subscription that fired', () => {
    const { memory, reached, imports } = setup();
    const view = new DataView(memory.buffer);
    view.setBigUint64(0, 0xabcn, true); // userdata
    view.setUint8(8, 0); // clock
    view.setUint32(16, 1, true); // monotonic
    view.setBigUint64(24, 150_000_000n, true); // 150 ms, relative
    const started = performance.now();
    expect(imports.poll_oneoff!(0, 100, 1, 200)).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(view.getUint32(200, true)).toBe(1);
    expect(view.getBigUint64(100, true)).toBe(0xabcn);
    expect(view.getUint8(110)).toBe(0);
    expect(reached).toEqual([]);
  });

  it('hands poll_oneoff on fds to node:wasi', () => {
    const { memory, reached, imports } = setup();
    new DataView(memory.buffer).setUint8(8, 1); // fd_read
    imports.poll_oneoff!(0, 100, 1, 200);
    expect(reached).toEqual(['poll_oneoff']);
  });

  it('refuses what would reach the host process or wrap around', () => {
    const { imports, reached } = setup();
    expect(imports.proc_raise!(9)).toBe(58);
    expect(imports.sock_recv!(0, 0, 1, 0, 0, 0)).toBe(58);
    expect(imports.fd_close!(1)).toBe(0); // the host's own stdout stays open
    expect(imports.fd_renumber!(3, 2)).toBe(58);
    expect(imports.fd_write!(1, 0, 0x20000001, 100)).toBe(21);
    expect(imports.path_filestat_set_times!(3, 0, 0, 0, 0, 0, 3)).toBe(28);
    expect(imports.fd_filestat_set_times!(3, 0, 0, 16)).toBe(28);
    expect(reached).toEqual([]);
  });
});
