/**
 * @wacs/backend-testkit: the conformance kit for wacs backends. Engine-free: it needs only
 * @wacs/core. `runConformance(backend, fixtures)` returns a report; `@wacs/backend-testkit/vitest`
 * wraps it as tests; the `wacs-backend-conformance` command runs it on a package.
 */
export { runConformance } from './run.js';
export { formatReport, formatResult } from './report.js';
export { UNKNOWN_OPTION_KEY } from './checks/load.js';
export { UNKNOWN_INPUT_NAME } from './checks/compute.js';
export { outputProblems, tensorMismatch, outputsMismatch, copyInputs, DEFAULT_TOLERANCE } from './tensors.js';
export { garbageBytes } from './samples.js';
export { browserBundleProblems, moduleSpecifiers } from './browser-bundle.js';
export { isNnError, describeError } from './errors.js';
export { findBackend, loadFixtures, type FoundBackend } from './load.js';
export {
  CHECK_IDS,
  CHECK_TITLES,
  type CheckId,
  type CheckResult,
  type CheckStatus,
  type ConformanceCase,
  type ConformanceFixtures,
  type ConformanceReport,
  type BadInput,
  type ForeignSample,
  type ModelFixture,
  type OutputCheck,
  type RunOptions,
  type Tolerance,
} from './types.js';
