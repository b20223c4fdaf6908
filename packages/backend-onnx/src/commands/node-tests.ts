/**
 * `wacs onnx-node-tests <tests-dir>`: a command this backend adds to wacs (also the
 * wacs-onnx-node-tests binary). Runs ONNX backend node tests through the onnx-conformance guest;
 * prints PASS/FAIL/SKIP per test (with the reason for each failure and skip) and
 * `N passed, N failed, N skipped`. Exit code 1 when a test failed.
 */
import { formatNodeTestResult, runOnnxNodeTests } from '../node-tests.js';

export const summary = 'Run ONNX backend node tests (model.onnx + test_data_set_*) through a guest: onnx-node-tests <dir>';

const usage = 'usage: wacs onnx-node-tests <tests-dir> [--only name,name] [--guest path] [--timeout seconds]';

export async function run(argv: string[]): Promise<number> {
  let dir: string | undefined;
  let only: string[] | undefined;
  let guest: string | undefined;
  let timeoutMs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--guest') guest = argv[++i];
    else if (arg === '--timeout') timeoutMs = Number(argv[++i]) * 1000;
    else if (arg === '-h' || arg === '--help') {
      console.log(usage);
      return 0;
    } else if (!dir && !arg.startsWith('-')) dir = arg;
    else {
      console.error(`unknown argument ${arg}\n${usage}`);
      return 2;
    }
  }
  if (!dir) {
    console.error(usage);
    return 2;
  }
  const report = await runOnnxNodeTests(dir, { only, guest, timeoutMs, onResult: (r) => console.log(formatNodeTestResult(r)) });
  console.log(report.summary);
  return report.failed ? 1 : 0;
}

