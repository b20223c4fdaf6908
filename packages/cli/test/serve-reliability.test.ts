// wacs serve under load with faults, on loopback: N requests (default 200; WACS_RELIABILITY_N for
// more) at concurrency 32, about 1% of them trapping and 0.5% hanging in the guest. Every request
// must get its own right answer (echoes byte for byte, 500 for a trap, 504 for a hang), none may be
// lost or left hanging, and the server must serve afterwards. RSS before and after is printed.
import { NnHost, startServer } from '@wacs/core';
import { guest } from '@wacs/fixtures';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const N = Number(process.env.WACS_RELIABILITY_N ?? 200);
const CONCURRENCY = 32;

type Kind = 'echo' | 'trap' | 'hang';
const kindOf = (i: number): Kind => (i % 100 === 7 ? 'trap' : i % 200 === 77 ? 'hang' : 'echo');

it(`${N} requests at concurrency ${CONCURRENCY} with traps and hangs: every one answered correctly`, { timeout: 600_000 }, async () => {
  const server = await startServer(new Uint8Array(readFileSync(guest('serve-probe'))), new NnHost(undefined, undefined, { log: () => {} }), {
    port: 0,
    log: 'off',
    instances: 8,
    queue: N,
    requestTimeoutMs: 60_000,
    timeoutMs: 2000, // the guest's own time: a hang is ended after 2 s
  });
  const rssBefore = process.memoryUsage().rss;
  const outcomes = { ok: 0, trap: 0, hang: 0 };
  const wrong: string[] = [];
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) {
          const i = next++;
          const kind = kindOf(i);
          const body = `request ${i} ${'x'.repeat(i % 300)}`;
          const response = await fetch(kind === 'echo' ? `${server.url}/echo` : `${server.url}/${kind}`, {
            method: kind === 'echo' ? 'POST' : 'GET',
            body: kind === 'echo' ? body : undefined,
            signal: AbortSignal.timeout(120_000), // a request left hanging fails the test instead of stalling it
          });
          const text = await response.text();
          if (kind === 'echo' && response.status === 200 && text === body) outcomes.ok++;
          else if (kind === 'trap' && response.status === 500) outcomes.trap++;
          else if (kind === 'hang' && response.status === 504) outcomes.hang++;
          else wrong.push(`#${i} ${kind}: ${response.status} ${text.slice(0, 120)}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(wrong).toEqual([]);
    const expected = { ok: 0, trap: 0, hang: 0 };
    for (let i = 0; i < N; i++) {
      const kind = kindOf(i);
      expected[kind === 'echo' ? 'ok' : kind]++;
    }
    expect(outcomes).toEqual(expected);
    expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');
    expect(server.handler.stats().inFlight).toBe(0);
    console.log(
      `reliability: ${N} requests in ${seconds.toFixed(1)} s (${outcomes.trap} traps, ${outcomes.hang} hangs); host RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB after`,
    );
  } finally {
    await server.close();
  }
});
