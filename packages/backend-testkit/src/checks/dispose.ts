/** Releasing: contexts, graphs and the backend dispose without throwing, and the engine still loads afterwards. */
import type { Graph } from '@wacs/core/backend';
import { caseLabel } from '../fixtures.js';
import { CheckFailure, describeError, fail } from '../errors.js';
import { checkGraph, computeCase, load, newContext, preferredSource, skip, step, withContext, withGraph, type CheckGroup } from './harness.js';

export const disposeChecks = {
  async dispose(run) {
    const source = preferredSource(run);
    const c = run.cases[0]!;
    let graph: Graph;
    try {
      graph = checkGraph(await load(run, source));
    } catch (e) {
      if (e instanceof CheckFailure) throw e;
      fail(`load threw ${describeError(e)}`);
    }
    const used = await newContext(graph);
    await computeCase(run, used, c, caseLabel(c, 0));
    const unused = await newContext(graph);
    await step('context.dispose()', () => used.dispose());
    await step('a second context.dispose() of the same context', () => used.dispose());
    await step('dispose() of a context that never computed', () => unused.dispose());
    await step('graph.dispose()', () => graph.dispose());
    await step('a second graph.dispose() of the same graph', () => graph.dispose());
    // Disposing one graph must not break the engine for the next load of the same model.
    await withGraph(run, preferredSource(run), (fresh) => withContext(fresh, (context) => computeCase(run, context, c, `${caseLabel(c, 0)} on a fresh load after dispose`)));
    return 'contexts (used and unused) and the graph disposed twice without throwing; a fresh load computed correctly';
  },

  async 'backend-dispose'({ backend }) {
    if (!backend.dispose) skip('backend.dispose() is optional (for engine-wide resources)');
    await step('backend.dispose()', () => backend.dispose!());
    return 'released without throwing';
  },
} satisfies CheckGroup;
