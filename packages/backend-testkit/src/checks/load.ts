/** Loading: from bytes and from a path with correct outputs, and the errors for garbage, a missing path and an unknown option. */
import type { ModelSource } from '@wacs/core/backend';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { caseLabel } from '../fixtures.js';
import { expectNnError } from '../errors.js';
import { garbageBytes, garbageLike } from '../samples.js';
import { bytesSource, computeCase, load, preferredSource, skip, step, withContext, withGraph, type CheckGroup, type Run } from './harness.js';

/** The option key no backend knows; loading with it must fail. */
export const UNKNOWN_OPTION_KEY = 'wacs-conformance-unknown-option';

async function loadAndCompute(run: Run, source: ModelSource): Promise<string> {
  return withGraph(run, source, async (graph) => {
    for (const [i, c] of run.cases.entries()) {
      await withContext(graph, (context) => computeCase(run, context, c, caseLabel(c, i)));
    }
    return `${run.cases.length} case(s) correct: ${run.cases.map(caseLabel).join(', ')}`;
  });
}

export const loadChecks = {
  async 'start-engine'(run) {
    const { backend } = run;
    if (!backend.startEngine) skip('startEngine() is optional (it lets a slow engine start while the guest does)');
    // A host may start the engine for two models of one backend at once.
    await step('startEngine() twice at once', () => Promise.all([backend.startEngine!(), backend.startEngine!()]));
    const c = run.cases[0]!;
    await withGraph(run, preferredSource(run), (graph) => withContext(graph, (context) => computeCase(run, context, c, `${caseLabel(c, 0)} after startEngine()`)));
    return 'resolved twice at once; a load then computed correctly';
  },

  async 'load-bytes'(run) {
    if (!run.model.bytes) skip('the fixtures give no model bytes (a backend that loads only paths, e.g. folder formats)');
    return loadAndCompute(run, bytesSource(run));
  },

  async 'load-path'(run) {
    if (run.model.path === undefined) skip('the fixtures give no model path');
    return loadAndCompute(run, { kind: 'path', path: run.model.path });
  },

  async 'garbage-bytes'(run) {
    const builders = run.fixtures.garbage?.bytes ?? [garbageBytes()];
    // A backend that loads only paths may say so instead.
    const codes = run.model.bytes ? (['invalid-encoding', 'runtime-error'] as const) : (['invalid-encoding', 'runtime-error', 'unsupported-operation'] as const);
    return expectNnError('load(garbage bytes)', () => load(run, { kind: 'bytes', builders }), codes, (graph) => graph.dispose());
  },

  async 'garbage-path'(run) {
    let path = run.fixtures.garbage?.path;
    if (path === undefined) {
      const model = run.model.path;
      const isDirectory = model !== undefined && (await stat(model)).isDirectory();
      path = await garbageLike(model ?? 'model.bin', isDirectory, join(run.scratch, 'garbage'));
    }
    const where = path;
    return expectNnError(`load(path ${basename(where)} full of garbage)`, () => load(run, { kind: 'path', path: where }), ['invalid-encoding', 'runtime-error'], (graph) => graph.dispose());
  },

  async 'missing-path'(run) {
    const path = join(run.scratch, 'missing', basename(run.model.path ?? 'model.bin'));
    return expectNnError(`load(missing path ${path})`, () => load(run, { kind: 'path', path }), ['not-found'], (graph) => graph.dispose());
  },

  async 'unknown-option'(run) {
    const options = { ...run.model.options, [UNKNOWN_OPTION_KEY]: true };
    return expectNnError(`load with option "${UNKNOWN_OPTION_KEY}"`, () => load(run, preferredSource(run), options), ['invalid-argument'], (graph) => graph.dispose());
  },
} satisfies CheckGroup;
