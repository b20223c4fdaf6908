#!/usr/bin/env node
/**
 * wacs-backend-conformance <package-or-path> [--fixtures <module>] [--only id,id] [--json]
 * Runs the conformance kit against a backend package (a folder, a module file, or an installed
 * package name). Fixtures come from --fixtures or the package.json field "wacs.conformance".
 * Exit code 0 when every check passed or was skipped, 1 when one failed, 2 for a usage error.
 */
import { findBackend, loadFixtures } from './load.js';
import { formatResult } from './report.js';
import { runConformance } from './run.js';
import { CHECK_IDS, type CheckId } from './types.js';

const usage = `usage: wacs-backend-conformance <package-or-path> [--fixtures <module>] [--only id,id] [--json]

  <package-or-path>  a backend package folder, its entry module, or an installed package name
  --fixtures <file>  a module whose default export is the fixtures (or a function returning them);
                     default: the package.json field "wacs": { "conformance": "<file>" }
  --only <ids>       run only these checks: ${CHECK_IDS.join(', ')}
  --json             print the report as JSON`;

async function main(argv: string[]): Promise<number> {
  let spec: string | undefined;
  let fixturesPath: string | undefined;
  let only: CheckId[] | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--fixtures') fixturesPath = argv[++i];
    else if (arg === '--only') {
      only = (argv[++i] ?? '').split(',').filter(Boolean) as CheckId[];
      const unknown = only.filter((id) => !(CHECK_IDS as readonly string[]).includes(id));
      if (unknown.length) {
        console.error(`unknown check(s) ${unknown.join(', ')}; checks: ${CHECK_IDS.join(', ')}`);
        return 2;
      }
    } else if (arg === '--json') json = true;
    else if (arg === '-h' || arg === '--help') {
      console.log(usage);
      return 0;
    } else if (!spec && !arg.startsWith('-')) spec = arg;
    else {
      console.error(`unknown argument ${arg}\n${usage}`);
      return 2;
    }
  }
  if (!spec) {
    console.error(usage);
    return 2;
  }
  const found = await findBackend(spec);
  const from = fixturesPath ?? found.fixtures;
  if (!from) {
    console.error(`${found.label}: no fixtures; pass --fixtures <module>, or add "wacs": { "conformance": "<module>" } to its package.json`);
    return 2;
  }
  const fixtures = await loadFixtures(from);
  const report = await runConformance(found.backend, fixtures, {
    only,
    onResult: json ? undefined : (result) => console.log(formatResult(result)),
  });
  if (json) console.log(JSON.stringify(report, null, 2));
  else console.log(report.summary);
  return report.passed ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(`wacs-backend-conformance: ${e.message}`);
    process.exitCode = 2;
  },
);
