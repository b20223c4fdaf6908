// The worker's side of twin preparation: it waits for the host's list, loads each module and
// awaits its prepareInThread before the guest may run; a failure does not stop the others.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twinsPrepared } from '../src/runner/twin-preparation.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacs-twin-prep-'));
  await writeFile(
    join(dir, 'slow.mjs'),
    'export const prepared = []; export async function prepareInThread(init) { await new Promise((r) => setTimeout(r, 30)); prepared.push(init); }',
  );
  await writeFile(join(dir, 'failing.mjs'), 'export async function prepareInThread() { throw new Error("no engine here"); }');
  await writeFile(join(dir, 'none.mjs'), 'export const nothing = 1;');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('twinsPrepared', () => {
  it("waits for the host's list, then for every preparation in it, past failures and modules without one", async () => {
    const { port1, port2 } = new MessageChannel();
    let settled = false;
    const prepared = twinsPrepared(port2).then(() => (settled = true));
    // Other messages (the compiled modules) are not the list.
    port1.postMessage({ modules: {} });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    port1.postMessage({
      prepareInThread: [
        { module: join(dir, 'slow.mjs'), init: { engine: 'wasm' } },
        { module: join(dir, 'failing.mjs'), init: {} },
        { module: join(dir, 'none.mjs'), init: {} },
        { module: join(dir, 'absent.mjs'), init: {} },
      ],
    });
    await prepared;
    // The instance the worker prepared: it loads modules with require, as it loads twins.
    const slow = createRequire(import.meta.url)(join(dir, 'slow.mjs')) as { prepared: unknown[] };
    expect(slow.prepared).toEqual([{ engine: 'wasm' }]);
    port1.close();
  });

  it('gives up waiting for a preparation that does not end', async () => {
    await writeFile(join(dir, 'hangs.mjs'), 'export function prepareInThread() { return new Promise(() => {}); }');
    const { port1, port2 } = new MessageChannel();
    const prepared = twinsPrepared(port2, 50);
    port1.postMessage({ prepareInThread: [{ module: join(dir, 'hangs.mjs'), init: {} }] });
    await expect(prepared).resolves.toBeUndefined();
    port1.close();
  });

  it('settles at once on an empty list', async () => {
    const { port1, port2 } = new MessageChannel();
    const prepared = twinsPrepared(port2);
    port1.postMessage({ prepareInThread: [] });
    await expect(prepared).resolves.toBeUndefined();
    port1.close();
  });
});
