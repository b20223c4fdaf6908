#!/usr/bin/env node
/**
 * wacs-backend-conformance <package-or-path> [--fixtures <module>] [--only id,id] [--json]
 * Runs the conformance kit against a backend package (a folder, a module file, or an installed
 * package name). Fixtures come from --fixtures or the package.json field "wacs.conformance".
 * Exit code 0 when every check passed or was skipped, 1 when one failed, 2 for a usage error.
 */
import { parseArgs } from 'node:util';
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

/** The command line, or the message for a usage error. */
function parseCommandLine(argv: string[]): { spec?: string; fixturesPath?: string; only?: CheckId[]; json: boolean; help: boolean } | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { fixtures: { type: 'string' }, only: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return `${(e as Error).message}\n${usage}`;
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) return `one backend at a time, got ${positionals.join(', ')}\n${usage}`;
  const only = values.only?.split(',').filter(Boolean);
  const unknown = only?.filter((id) => !(CHECK_IDS as readonly string[]).includes(id)) ?? [];
  if (unknown.length) return `unknown check(s) ${unknown.join(', ')}; checks: ${CHECK_IDS.join(', ')}`;
  return { spec: positionals[0], fixturesPath: values.fixtures, only: only as CheckId[] | undefined, json: values.json ?? false, help: values.help ?? false };
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommandLine(argv);
  if (typeof command === 'string') {
    console.error(command);
    return 2;
  }
  const { spec, fixturesPath, only, json } = command;
  if (command.help) {
    console.log(usage);
    return 0;
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
