/** The report as a person reads it in a terminal or CI log. */
import type { CheckResult, ConformanceReport } from './types.js';

/** Two lines for one check: status, id and title, then the detail. */
export function formatResult(result: CheckResult): string {
  const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;
  return `${mark[result.status]} ${result.id.padEnd(15)} ${result.title}\n     ${result.detail}`;
}

/** Every check, then the summary: what a person reads in a terminal or CI log. */
export function formatReport(report: ConformanceReport): string {
  return [...report.results.map(formatResult), report.summary].join('\n');
}
