// Adds up every package's vitest JSON results into one closing line for CI:
// "tests: N passed, N failed, N skipped", after the name and first message of each failure (a CI log
// is often read from its tail only). Exits non-zero if a package wrote no results.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
const failures = [];
for (const group of ['packages', 'examples']) {
  if (!existsSync(join(root, group))) continue;
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!pkg.scripts?.test) continue;
    const file = join(dir, '.vitest-results.json');
    if (!existsSync(file)) {
      missing.push(pkg.name);
      continue;
    }
    const r = JSON.parse(readFileSync(file, 'utf8'));
    if (r.numTotalTests === 0 && !pkg.scripts.test.includes('--passWithNoTests')) {
      missing.push(pkg.name);
      continue;
    }
    passed += r.numPassedTests;
    // A test file that failed to load or run has no failed test of its own: count it as one.
    const brokenFiles = (r.testResults ?? []).filter((t) => t.status === 'failed' && !t.assertionResults?.some((a) => a.status === 'failed')).length;
    failed += r.numFailedTests + brokenFiles;
    for (const file of r.testResults ?? []) {
      const where = `${pkg.name} ${file.name.slice(dir.length + 1)}`;
      const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
      for (const a of failedTests) failures.push(`${where} > ${a.fullName}\n${firstLines(a.failureMessages?.join('\n'))}`);
      if (file.status === 'failed' && failedTests.length === 0) failures.push(`${where} (the file failed to run)\n${firstLines(file.message)}`);
    }
    skipped += r.numPendingTests + r.numTodoTests;
    console.log(`${pkg.name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  }
}
for (const name of missing) console.log(`${name}: no tests ran`);
for (const failure of failures) console.log(`FAILED ${failure}`);
console.log(`tests: ${passed} passed, ${failed + missing.length} failed, ${skipped} skipped`);
process.exit(failed + missing.length > 0 ? 1 : 0);

/** The first lines of a failure message, indented: enough to tell which assertion broke. */
function firstLines(message = '') {
  return message.split('\n').slice(0, 8).map((line) => `    ${line}`).join('\n');
}
