/** Computing: one context many times, bad inputs refused without harm, many contexts at once. */
import type { ExecutionContext, NamedTensor } from '@wacs/core/backend';
import { caseLabel } from '../fixtures.js';
import { expectNnError, fail } from '../errors.js';
import { copyInputs, outputsMismatch } from '../tensors.js';
import type { BadInput } from '../types.js';
import { computeCase, newContext, preferredSource, quietly, withContext, withGraph, type CheckGroup } from './harness.js';

/** The input name no backend knows; a compute given it must fail. */
export const UNKNOWN_INPUT_NAME = 'wacs-conformance-unknown-input';


/**
 * Moves every output buffer the host may move (a whole ArrayBuffer) to nowhere, as the host does
 * when it sends outputs to the guest's thread: a backend that keeps and reuses an output buffer
 * finds it detached.
 */
function detachOutputs(outputs: NamedTensor[], label: string): void {
  const buffers = new Set<ArrayBuffer>();
  for (const { tensor } of outputs) {
    const { data } = tensor;
    if (data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.byteLength > 0) buffers.add(data.buffer);
  }
  if (buffers.size === 0) return;
  try {
    structuredClone([...buffers], { transfer: [...buffers] });
  } catch (e) {
    fail(`${label}: the host could not move the output buffers to the guest's thread (${(e as Error).message}); return plain, transferable Uint8Arrays`);
  }
}

export const computeChecks = {
  async 'context-reuse'(run) {
    const order = [...run.cases.entries(), ...run.cases.entries()];
    await withGraph(run, preferredSource(run), (graph) =>
      withContext(graph, async (context) => {
        for (const [n, [i, c]] of order.entries()) {
          const label = `compute ${n + 1} on one context (${caseLabel(c, i)})`;
          detachOutputs(await computeCase(run, context, c, label), label);
        }
      }),
    );
    return `${order.length} computes on one context, each correct, each one's output buffers moved away before the next`;
  },

  async 'bad-input'(run) {
    const first = run.cases[0]!;
    // A misspelt input name must not be ignored: the guest would get answers to another question.
    const unknown: NamedTensor = { name: UNKNOWN_INPUT_NAME, tensor: { type: 'U8', dimensions: [1], data: Uint8Array.of(0) } };
    const bad: BadInput[] = [
      { label: 'no inputs', inputs: [] },
      { label: `${caseLabel(first, 0)} plus an unknown input "${UNKNOWN_INPUT_NAME}"`, inputs: [...first.inputs, unknown] },
      ...(run.fixtures.badInputs ?? []),
    ];
    return withGraph(run, preferredSource(run), async (graph) => {
      const seen: string[] = [];
      for (const b of bad) {
        await withContext(graph, async (context) => {
          seen.push(await expectNnError(`compute(${b.label})`, () => context.compute(copyInputs(b.inputs)), [b.code ?? 'invalid-argument']));
          // A refused compute must leave the context usable.
          await computeCase(run, context, first, `compute of ${caseLabel(first, 0)} after the refused "${b.label}" on the same context`);
        });
      }
      return `${seen.join('; ')}; each context computed correctly afterwards`;
    });
  },

  async concurrency(run) {
    const count = run.fixtures.concurrency ?? 4;
    return withGraph(run, preferredSource(run), async (graph) => {
      // Each case computed alone first: what every concurrent compute must reproduce.
      const reference: NamedTensor[][] = [];
      for (const [i, c] of run.cases.entries()) reference.push(await withContext(graph, (context) => computeCase(run, context, c, `${caseLabel(c, i)} alone`)));
      const contexts: ExecutionContext[] = [];
      try {
        for (let i = 0; i < count; i++) contexts.push(await newContext(graph));
        await Promise.all(
          contexts.map(async (context, n) => {
            const index = n % run.cases.length;
            const c = run.cases[index]!;
            for (const round of [1, 2]) {
              const label = `context ${n} (${caseLabel(c, index)}) compute ${round}`;
              const outputs = await computeCase(run, context, c, label);
              const mismatch = outputsMismatch(outputs, reference[index]!, run.tolerance, true);
              if (mismatch) fail(`${label} differs from the same case computed alone: ${mismatch}`);
            }
          }),
        );
      } finally {
        for (const context of contexts) await quietly(() => context.dispose());
      }
      return `${count} contexts on one graph, 2 computes each, all at once: every output correct and equal to the lone compute`;
    });
  },
} satisfies CheckGroup;
