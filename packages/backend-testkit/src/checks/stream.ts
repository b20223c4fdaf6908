/** stream(): well-formed steps, the compute outputs at the end, and an early end that leaves the context usable. */
import type { NamedTensor } from '@wacs/core/backend';
import { caseLabel } from '../fixtures.js';
import { fail } from '../errors.js';
import { copyInputs, outputProblems } from '../tensors.js';
import { computeCase, judge, preferredSource, skip, step, withContext, withGraph, type CheckGroup } from './harness.js';

/** Steps a stream may take before the kit calls it endless. */
const MAX_STREAM_STEPS = 100_000;

export const streamChecks = {
  async stream(run) {
    const index = run.fixtures.streamCase ?? 0;
    const c = run.cases[index]!;
    return withGraph(run, preferredSource(run), (graph) =>
      withContext(graph, async (context) => {
        if (typeof context.stream !== 'function') skip('stream() is optional (token streaming for language models); these contexts have none');
        const iterator = context.stream(copyInputs(c.inputs));
        if (!iterator || typeof iterator.next !== 'function') fail('stream() must return an AsyncIterator');
        let steps = 0;
        let final: NamedTensor[] | undefined;
        while (final === undefined) {
          const result = await iterator.next();
          if (result.done) {
            final = result.value;
            break;
          }
          const problems = outputProblems(result.value);
          if (problems.length) fail(`stream step ${steps}: malformed outputs: ${problems.join('; ')}`);
          if (++steps > MAX_STREAM_STEPS) fail(`stream did not end within ${MAX_STREAM_STEPS} steps`);
        }
        await judge(run, c, final, `the stream's return value for ${caseLabel(c, index)}`);
        // Ended early, as WasmEdge's fini_single does; the context must still compute.
        const early = context.stream(copyInputs(c.inputs));
        await step('the first next() of a second stream', () => early.next());
        await step('return() to end a stream early', () => early.return?.([]));
        await computeCase(run, context, c, `compute after a stream ended early (${caseLabel(c, index)})`);
        return `${steps} step(s), then the compute outputs (correct); ended early with return() and computed again`;
      }),
    );
  },
} satisfies CheckGroup;
