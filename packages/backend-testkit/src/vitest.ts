/**
 * The kit as vitest tests: one `it` per check, so a failing check shows by name with its reason.
 *
 *   import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
 *   describeBackendConformance(myBackend, async () => ({ model: { path }, cases: [...] }));
 */
import type { Backend } from '@wacs/core/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserBundleProblems } from './browser-bundle.js';
import { runConformance } from './run.js';
import { CHECK_IDS, CHECK_TITLES, type CheckId, type ConformanceFixtures, type ConformanceReport } from './types.js';

type Lazy<T> = T | (() => T | Promise<T>);

export interface DescribeOptions {
  /** The describe block's title (default: "backend conformance"). */
  title?: string;
  /** Run only these checks. */
  only?: CheckId[];
  /** Time for the whole run (every check), in ms; default 15 minutes. */
  timeoutMs?: number;
}

async function resolve<T>(value: Lazy<T>): Promise<T> {
  return typeof value === 'function' ? (value as () => T | Promise<T>)() : value;
}

/**
 * Declares a describe block that runs the kit once (in beforeAll) and reports each check as its
 * own test: failed checks fail with their reason, skipped checks are skipped. `backend` and
 * `fixtures` may be functions, to build models in a temp folder first.
 */
export function describeBackendConformance(backend: Lazy<Backend>, fixtures: Lazy<ConformanceFixtures>, options: DescribeOptions = {}): void {
  describe(options.title ?? 'backend conformance', () => {
    let report: ConformanceReport | undefined;
    beforeAll(async () => {
      report = await runConformance(await resolve(backend), await resolve(fixtures), { only: options.only });
    }, options.timeoutMs ?? 15 * 60_000);
    for (const id of CHECK_IDS) {
      if (options.only && !options.only.includes(id)) continue;
      it(`${id}: ${CHECK_TITLES[id]}`, (context) => {
        const result = report?.results.find((r) => r.id === id);
        if (!result) throw new Error('the conformance run did not finish (see the beforeAll error)');
        if (result.status === 'skip') context.skip(result.detail);
        if (result.status === 'fail') throw new Error(result.detail);
      });
    }
  });
}

/** Declares a test that the browser bundle of the backend package in `packageDir` loads in a page by URL (see browser-bundle.ts). */
export function describeBrowserBundle(packageDir: string): void {
  describe('the browser bundle', () => {
    it('is built, and imports only @wacs/core/backend: no Node builtin, no other package', () => {
      expect(browserBundleProblems(packageDir)).toEqual([]);
    });
  });
}
