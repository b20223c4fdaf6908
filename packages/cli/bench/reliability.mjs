// wacs serve reliability at the size: test/serve-reliability.test.ts with 10,000 requests
// (concurrency 64, 1% trapping or hanging in the guest). The test's own default is smaller, for CI.
//   node packages/cli/bench/reliability.mjs [requests, default 10000]   writes bench/reliability-results.md
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const requests = process.argv[2] ?? '10000';
const load = loadavg()[0];
const started = Date.now();
const run = spawnSync('npx', ['vitest', 'run', 'test/serve-reliability.test.ts'], {
  cwd: new URL('..', import.meta.url).pathname,
  env: { ...process.env, WACS_RELIABILITY_N: requests },
  encoding: 'utf8',
  maxBuffer: 1 << 26,
});
const line = `${run.stdout}\n${run.stderr}`.split('\n').find((l) => l.startsWith('reliability: '));
if (run.status !== 0 || !line) {
  console.error(`${run.stdout}\n${run.stderr}`);
  console.error(`reliability run failed (exit ${run.status})`);
  process.exit(1);
}
const markdown = [
  '### wacs serve: reliability under faults (issue 17)',
  '',
  `\`node packages/cli/bench/reliability.mjs ${requests}\` (${new Date().toISOString().slice(0, 10)}; load average ${load.toFixed(1)} at the start on ${cpus().length} cores, ${((Date.now() - started) / 1000).toFixed(0)} s in all): serve-probe, 8 instances + 1 spare, a fresh instance per request.`,
  '',
  `- ${line.slice('reliability: '.length)}`,
  '',
].join('\n');
console.log(markdown);
writeFileSync(new URL('./reliability-results.md', import.meta.url), markdown);
