/** The graph's in-thread twin: loaded as a guest's worker loads it, and computing what the graph computes. */
import type { InThreadGraph, InThreadSpec, NamedTensor, OpenInThread, PrepareInThread } from '@wacs/core/backend';
import { messageBytes, planMessage, readMessage, writeMessage } from '@wacs/core/browser';
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { caseLabel } from '../fixtures.js';
import { expectNnError, fail } from '../errors.js';
import { copyInputs, outputProblems, outputsMismatch } from '../tensors.js';
import { judge, preferredSource, skip, step, withContext, withGraph, type CheckGroup } from './harness.js';

/**
 * `init` as a guest's worker receives it: through the bridge, which carries JSON values and
 * Uint8Arrays (core's arena-message.ts). Anything else arrives changed or not at all.
 */
function overTheBridge(what: string, init: unknown): unknown {
  let received: unknown;
  try {
    const plan = planMessage(init);
    const arena = new Uint8Array(messageBytes(plan));
    writeMessage(arena, plan);
    received = readMessage(arena);
  } catch (e) {
    fail(`${what}: init must be JSON values and Uint8Arrays, which the bridge carries to a worker (${(e as Error).message})`);
  }
  if (!isDeepStrictEqual(received, init)) fail(`${what}: init must be JSON values and Uint8Arrays, which the bridge carries to a worker; it arrives changed`);
  return received;
}

export const inThreadChecks = {
  async 'in-thread'(run) {
    return withGraph(run, preferredSource(run), async (graph) => {
      if (typeof graph.inThread !== 'function') skip("inThread() is optional (computes in a guest's thread); this graph has none");
      let spec: InThreadSpec | undefined;
      await step('inThread()', () => (spec = graph.inThread!()));
      if (spec === undefined) skip('inThread() offers no twin for this model');
      const { module } = spec;
      if (typeof module !== 'string' || !isAbsolute(module)) fail(`inThread(): module must be an absolute path, got ${JSON.stringify(module)}`);
      const init = overTheBridge('inThread()', spec.init);
      const preparation = run.backend.inThreadPreparation;
      if (preparation) {
        // As a guest's worker does before the guest runs: load the module with require, await its preparation.
        let prepared: InThreadSpec | undefined;
        await step('inThreadPreparation({})', () => (prepared = preparation.call(run.backend, {})));
        if (prepared) {
          if (typeof prepared.module !== 'string' || !isAbsolute(prepared.module)) fail(`inThreadPreparation(): module must be an absolute path, got ${JSON.stringify(prepared.module)}`);
          const prepareInit = overTheBridge('inThreadPreparation()', prepared.init);
          let prepare: unknown;
          await step(`require(${prepared.module})`, () => (prepare = (createRequire(import.meta.url)(prepared!.module) as { prepareInThread?: unknown }).prepareInThread));
          if (typeof prepare !== 'function') fail(`${prepared.module} exports no prepareInThread function`);
          await step('prepareInThread(init)', () => (prepare as PrepareInThread)(prepareInit));
        }
      }
      let open: unknown;
      // As the worker loads it: with require, while the guest waits.
      await step(`require(${module})`, () => (open = (createRequire(import.meta.url)(module) as { openInThread?: unknown }).openInThread));
      if (typeof open !== 'function') fail(`${module} exports no openInThread function`);
      let twin: InThreadGraph | undefined;
      await step('openInThread(init)', () => (twin = (open as OpenInThread)(init)));
      if (twin === undefined) skip('openInThread(init) gave no twin in the thread that loaded the graph (allowed: the guest then computes through the host)');
      const withTwinContext = async <T>(use: (context: ReturnType<InThreadGraph['createContext']>) => Promise<T>): Promise<T> => {
        let context: ReturnType<InThreadGraph['createContext']> | undefined;
        await step('the twin\'s createContext()', () => (context = twin!.createContext()));
        try {
          return await use(context!);
        } finally {
          await step('the twin context\'s dispose()', () => context!.dispose());
        }
      };
      const seen: string[] = [];
      try {
        for (const [i, c] of run.cases.entries()) {
          const label = `${caseLabel(c, i)} in the thread`;
          await withTwinContext(async (context) => {
            let outputs: NamedTensor[] | undefined;
            await step(`${label}: compute`, () => (outputs = context.compute(copyInputs(c.inputs))));
            if (typeof (outputs as unknown as Promise<unknown>)?.then === 'function') fail(`${label}: compute must return its outputs synchronously, not a promise`);
            await judge(run, c, outputs!, label);
            const host = await withContext(graph, (hostContext) => hostContext.compute(copyInputs(c.inputs)));
            const problems = outputProblems(host);
            if (problems.length) fail(`${label}: the graph's own compute gave malformed outputs: ${problems.join('; ')}`);
            const mismatch = outputsMismatch(host, outputs!, run.tolerance, true);
            if (mismatch) fail(`${label}: the graph's own compute differs from its twin's: ${mismatch}`);
          });
        }
        const bad = [{ label: 'no inputs', inputs: [] as NamedTensor[] }, ...(run.fixtures.badInputs ?? [])];
        for (const b of bad) {
          await withTwinContext(async (context) => seen.push(await expectNnError(`in-thread compute(${b.label})`, () => context.compute(copyInputs(b.inputs)), ['invalid-argument'])));
        }
      } finally {
        await step("the twin's dispose(), twice", () => {
          twin!.dispose();
          twin!.dispose();
        });
      }
      return `${run.cases.length} case(s) correct in the thread and equal to the graph's own compute; ${seen.join('; ')}`;
    });
  },
} satisfies CheckGroup;
