/**
 * runConformance: every check of the kit against one backend and its fixtures, as a report.
 * A check passes, fails with what went wrong, or is skipped with why it does not apply; a throw
 * from the backend where none is due fails that check and the run goes on. The checks are in
 * checks/, one file per concern.
 */
import type { Backend } from '@wacs/core/backend';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKS } from './checks/index.js';
import type { Run } from './checks/harness.js';
import { CheckFailure, CheckSkipped, describeError, withTimeout } from './errors.js';
import { checkFixtures } from './fixtures.js';
import { DEFAULT_TOLERANCE } from './tensors.js';
import { CHECK_IDS, CHECK_TITLES, type CheckResult, type ConformanceFixtures, type ConformanceReport, type RunOptions } from './types.js';

/** Runs the checks against `backend` and returns the report (it never throws for a failing backend). */
export async function runConformance(backend: Backend, fixtures: ConformanceFixtures, options: RunOptions = {}): Promise<ConformanceReport> {
  const model = checkFixtures(backend, fixtures);
  const run: Run = {
    backend,
    fixtures,
    model,
    cases: fixtures.cases,
    tolerance: { ...DEFAULT_TOLERANCE, ...fixtures.tolerance },
    scratch: await mkdtemp(join(tmpdir(), 'wacs-conformance-')),
  };
  const timeoutMs = fixtures.timeoutMs ?? 60_000;
  const results: CheckResult[] = [];
  try {
    for (const id of CHECK_IDS) {
      if (options.only && !options.only.includes(id)) continue;
      const started = performance.now();
      const result = (status: CheckResult['status'], detail: string): CheckResult => ({ id, title: CHECK_TITLES[id], status, detail, ms: Math.round(performance.now() - started) });
      let outcome: CheckResult;
      const reason = fixtures.skip?.[id];
      if (reason !== undefined) outcome = result('skip', `skipped by the fixtures: ${reason}`);
      else if (id !== 'shape' && typeof backend.load !== 'function') outcome = result('skip', 'the backend has no load() (see the shape check)');
      else {
        try {
          outcome = result('pass', await withTimeout(CHECKS[id](run), timeoutMs, `check ${id}`));
        } catch (e) {
          if (e instanceof CheckSkipped) outcome = result('skip', e.message);
          else if (e instanceof CheckFailure) outcome = result('fail', e.message);
          else outcome = result('fail', `threw ${describeError(e)}`);
        }
      }
      results.push(outcome);
      options.onResult?.(outcome);
    }
  } finally {
    await rm(run.scratch, { recursive: true, force: true });
  }
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  const name = typeof backend.name === 'string' && backend.name ? backend.name : '(unnamed backend)';
  return {
    backend: name,
    passed: count('fail') === 0,
    results,
    summary: `${name}: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`,
  };
}
