// describeBackendConformance: one test per check. A correct backend passes here; a broken one, run
// in a child vitest, shows the failing check as a failed test with the kit's reason.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECK_IDS, CHECK_TITLES } from '../src/index.js';
import { describeBackendConformance } from '../src/vitest.js';
import { makeDoubler } from './doubler.js';
import { doublerFixtures } from './wrapper/fixtures.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describeBackendConformance(makeDoubler(), doublerFixtures, { title: 'doubler conformance' });

interface JsonReport {
  testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

describe('a broken backend through the vitest wrapper', () => {
  it('fails the test of the failing check, skips the inapplicable one, passes the rest', () => {
    const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    const child = spawnSync(process.execPath, [vitest, 'run', '--config', 'test/wrapper/vitest.config.ts', '--reporter=json'], {
      cwd: packageDir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(child.status).toBe(1);
    const json = JSON.parse(child.stdout.slice(child.stdout.indexOf('{'))) as JsonReport;
    const results = json.testResults.flatMap((f) => f.assertionResults);
    const status = Object.fromEntries(results.map((r) => [r.title, r.status]));
    const title = (id: (typeof CHECK_IDS)[number]) => `${id}: ${CHECK_TITLES[id]}`;
    expect(results).toHaveLength(CHECK_IDS.length);
    expect(status[title('unknown-option')]).toBe('failed');
    expect(results.find((r) => r.title === title('unknown-option'))!.failureMessages[0]).toContain('load with option "wacs-conformance-unknown-option": succeeded');
    expect(status[title('hardware')]).toBe('skipped');
    expect(results.filter((r) => r.status === 'passed')).toHaveLength(CHECK_IDS.length - 2);
  });
});
