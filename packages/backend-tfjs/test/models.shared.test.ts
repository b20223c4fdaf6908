// Real tfjs models from ../shared (known outputs in ../shared/README.md), through the nn-compute guest.
import { guest, repoRoot, runWacs, sharedModel } from '@wacs/fixtures';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const backend = join(repoRoot, 'packages/backend-tfjs');
const abalone = sharedModel('tfjs/abalone-mlp');
const balance = sharedModel('tfjs/balance-ml5-classifier');

/** The values nn-compute printed for `output`. */
function printed(stdout: string, output: string): number[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${output} `));
  if (!line) throw new Error(`no output ${output} in:\n${stdout}`);
  return line.split(' ').slice(3).map(Number);
}

describe.skipIf(!abalone)('abalone-mlp (layers model, Dense 8→50→50→1)', () => {
  it.each(['wasm', 'cpu'])('predict(ones[1,8]) = 11.6215 on the %s engine', async (engine) => {
    const result = await runWacs(['run', guest('nn-compute'), '--bind', backend, '--model', `abalone=${abalone},engine=${engine}`, '--', 'abalone', '--fill', '0=FP32:1x8:1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^dense_Dense3 FP32 \[1,1\] /m);
    expect(printed(result.stdout, 'dense_Dense3')[0]).toBeCloseTo(11.6215, 3);
  });
});

describe.skipIf(!balance)('balance-ml5-classifier (layers model, Dense 2→16→3 softmax)', () => {
  it('predict([[0.5,0.5]]) = [0.00639, 0.41426, 0.57935], input given by its model name', async () => {
    const result = await runWacs(['run', guest('nn-compute'), '--bind', backend, '--model', `balance=${balance}`, '--', 'balance', 'dense_Dense1_input=FP32:1x2:0.5,0.5']);
    expect(result.code, result.stderr).toBe(0);
    const probabilities = printed(result.stdout, 'dense_Dense2');
    expect(probabilities).toHaveLength(3);
    [0.00639, 0.41426, 0.57935].forEach((expected, i) => expect(Math.abs(probabilities[i]! - expected)).toBeLessThan(1e-5));
  });
});
