// Adds up every package's vitest JSON results into one closing line for CI:
// "tests: N passed, N failed, N skipped". Exits non-zero if a package wrote no results.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
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
    skipped += r.numPendingTests + r.numTodoTests;
    console.log(`${pkg.name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  }
}
for (const name of missing) console.log(`${name}: no tests ran`);
console.log(`tests: ${passed} passed, ${failed + missing.length} failed, ${skipped} skipped`);
process.exit(failed + missing.length > 0 ? 1 : 0);
