/**
 * runConformance: every check of the kit against one backend and its fixtures, as a report.
 * A check passes, fails with what went wrong, or is skipped with why it does not apply; a throw
 * from the backend where none is due fails that check and the run goes on.
 */
import {
  GRAPH_ENCODINGS,
  validateTensor,
  type Backend,
  type ExecutionContext,
  type ExecutionTarget,
  type FormatProbe,
  type Graph,
  type GraphEncoding,
  type InThreadGraph,
  type InThreadSpec,
  type ModelSource,
  type NamedTensor,
  type Options,
  probeBytes,
} from '@wacs/core/backend';
import { probePath } from '@wacs/core/backend/node';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { CheckFailure, CheckSkipped, describeError, expectNnError, fail, withTimeout } from './errors.js';
import { foreignProbes, garbageBytes, garbageLike } from './samples.js';
import { copyInputs, DEFAULT_TOLERANCE, outputProblems, outputsMismatch } from './tensors.js';
import {
  CHECK_IDS,
  CHECK_TITLES,
  type BadInput,
  type CheckId,
  type CheckResult,
  type ConformanceCase,
  type ConformanceFixtures,
  type ConformanceReport,
  type RunOptions,
  type Tolerance,
} from './types.js';

/** The option key no backend knows; loading with it must fail. */
export const UNKNOWN_OPTION_KEY = 'wacs-conformance-unknown-option';
/** The input name no backend knows; a compute given it must fail. */
export const UNKNOWN_INPUT_NAME = 'wacs-conformance-unknown-input';
/** Steps a stream may take before the kit calls it endless. */
const MAX_STREAM_STEPS = 100_000;

interface Model {
  bytes?: Uint8Array[];
  path?: string;
  encoding: GraphEncoding;
  target: ExecutionTarget;
  options: Options;
}

interface Run {
  backend: Backend;
  fixtures: ConformanceFixtures;
  model: Model;
  cases: ConformanceCase[];
  tolerance: Tolerance;
  scratch: string;
}

function skip(reason: string): never {
  throw new CheckSkipped(reason);
}

const caseLabel = (c: ConformanceCase, index: number) => c.label ?? `case ${index}`;

/** Author mistakes in the fixtures are programming errors, not check results: they throw. */
function checkFixtures(backend: Backend, fixtures: ConformanceFixtures): Model {
  const problem = (message: string): never => {
    throw new Error(`conformance fixtures: ${message}`);
  };
  const { model } = fixtures;
  if (!model || (model.bytes === undefined && model.path === undefined)) problem('model needs bytes, a path, or both');
  const bytes = model.bytes === undefined ? undefined : Array.isArray(model.bytes) ? model.bytes : [model.bytes];
  if (bytes && (bytes.length === 0 || bytes.some((b) => !(b instanceof Uint8Array) || b.byteLength === 0))) problem('model.bytes must be non-empty Uint8Arrays');
  const encoding = model.encoding ?? backend.encodings?.[0];
  if (!encoding || !(GRAPH_ENCODINGS as readonly string[]).includes(encoding)) problem(`model.encoding ${JSON.stringify(encoding)} is not one of ${GRAPH_ENCODINGS.join(', ')}`);
  if (!Array.isArray(fixtures.cases) || fixtures.cases.length === 0) problem('cases needs at least one { inputs, expect }');
  const validInputs = (inputs: NamedTensor[], where: string) => {
    for (const { name, tensor } of inputs) {
      try {
        validateTensor(tensor, name);
      } catch (e) {
        problem(`${where}: ${(e as Error).message} (the host only passes well-formed tensors)`);
      }
    }
  };
  fixtures.cases.forEach((c, i) => {
    validInputs(c.inputs, caseLabel(c, i));
    if (typeof c.expect !== 'function') {
      const problems = outputProblems(c.expect);
      if (problems.length) problem(`${caseLabel(c, i)}: expected outputs: ${problems.join('; ')}`);
    }
  });
  (fixtures.badInputs ?? []).forEach((b) => validInputs(b.inputs, `bad input "${b.label}"`));
  const streamCase = fixtures.streamCase ?? 0;
  if (!fixtures.cases[streamCase]) problem(`streamCase ${streamCase} is not a case index`);
  return { bytes, path: model.path, encoding: encoding as GraphEncoding, target: model.target ?? 'auto', options: model.options ?? {} };
}

function load(run: Run, source: ModelSource, options: Options = run.model.options): Promise<Graph> {
  const { encoding, target } = run.model;
  // Loads by path carry a name, as the host's load-by-name does.
  const name = source.kind === 'path' ? { name: 'conformance-model' } : {};
  return Promise.resolve().then(() => run.backend.load({ source, encoding, target, options: { ...options }, ...name }));
}

function bytesSource(run: Run): ModelSource {
  // Copies: the host hands a backend bytes it may keep, and later loads must see the originals.
  return { kind: 'bytes', builders: run.model.bytes!.map((b) => b.slice()) };
}

/** The path when there is one (how most models are served), else the bytes. */
function preferredSource(run: Run): ModelSource {
  return run.model.path !== undefined ? { kind: 'path', path: run.model.path } : bytesSource(run);
}

function checkGraph(graph: Graph): Graph {
  if (!graph || typeof graph.createContext !== 'function' || typeof graph.dispose !== 'function') {
    fail('load() must resolve to a Graph with createContext() and dispose()');
  }
  return graph;
}

async function newContext(graph: Graph): Promise<ExecutionContext> {
  const context = await graph.createContext();
  if (!context || typeof context.compute !== 'function' || typeof context.dispose !== 'function') {
    fail('createContext() must return an ExecutionContext with compute() and dispose()');
  }
  return context;
}

/** Disposes on the way out of a check; dispose errors are the `dispose` check's business. */
async function quietly(dispose: () => unknown): Promise<void> {
  try {
    await dispose();
  } catch {
    // reported by the dispose check
  }
}

async function judge(run: Run, c: ConformanceCase, outputs: NamedTensor[], label: string): Promise<void> {
  const problems = outputProblems(outputs);
  if (problems.length) fail(`${label}: malformed outputs: ${problems.join('; ')}`);
  if (typeof c.expect === 'function') {
    try {
      await c.expect(outputs, c.inputs);
    } catch (e) {
      fail(`${label}: wrong outputs: ${(e as Error).message ?? String(e)}`);
    }
    return;
  }
  const mismatch = outputsMismatch(outputs, c.expect, run.tolerance);
  if (mismatch) fail(`${label}: ${mismatch}`);
}

async function computeCase(run: Run, context: ExecutionContext, c: ConformanceCase, label: string): Promise<NamedTensor[]> {
  let outputs: NamedTensor[];
  try {
    outputs = await context.compute(copyInputs(c.inputs));
  } catch (e) {
    if (e instanceof CheckFailure) throw e;
    fail(`${label}: compute threw ${describeError(e)}`);
  }
  await judge(run, c, outputs, label);
  return outputs;
}

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

async function withGraph<T>(run: Run, source: ModelSource, use: (graph: Graph) => Promise<T>): Promise<T> {
  let graph: Graph;
  try {
    graph = checkGraph(await load(run, source));
  } catch (e) {
    if (e instanceof CheckFailure) throw e;
    fail(`load from ${source.kind === 'path' ? `path ${source.path}` : 'bytes'} threw ${describeError(e)}`);
  }
  try {
    return await use(graph);
  } finally {
    await quietly(() => graph.dispose());
  }
}

async function withContext<T>(graph: Graph, use: (context: ExecutionContext) => Promise<T>): Promise<T> {
  const context = await newContext(graph);
  try {
    return await use(context);
  } finally {
    await quietly(() => context.dispose());
  }
}

async function step(what: string, action: () => unknown): Promise<void> {
  try {
    await action();
  } catch (e) {
    fail(`${what} threw ${describeError(e)}`);
  }
}

async function ownProbes(run: Run): Promise<Array<{ label: string; probe: FormatProbe }>> {
  const probes: Array<{ label: string; probe: FormatProbe }> = [];
  if (run.model.bytes) probes.push({ label: 'its bytes', probe: probeBytes(run.model.bytes) });
  if (run.model.path !== undefined) probes.push({ label: `its path ${run.model.path}`, probe: await probePath(run.model.path) });
  return probes;
}

async function loadAndCompute(run: Run, source: ModelSource): Promise<string> {
  return withGraph(run, source, async (graph) => {
    for (const [i, c] of run.cases.entries()) {
      await withContext(graph, (context) => computeCase(run, context, c, caseLabel(c, i)));
    }
    return `${run.cases.length} case(s) correct: ${run.cases.map(caseLabel).join(', ')}`;
  });
}

const CHECKS: Record<CheckId, (run: Run) => Promise<string>> = {
  async shape({ backend }) {
    const problems: string[] = [];
    if (typeof backend.name !== 'string' || !/^\S+$/.test(backend.name)) problems.push(`name must be a non-empty string without spaces, got ${JSON.stringify(backend.name)}`);
    if (!Array.isArray(backend.encodings) || backend.encodings.length === 0) {
      problems.push(`encodings must be a non-empty array of ${GRAPH_ENCODINGS.join(', ')}`);
    } else {
      const unknown = backend.encodings.filter((e) => !(GRAPH_ENCODINGS as readonly string[]).includes(e));
      if (unknown.length) problems.push(`unknown encoding(s) ${unknown.join(', ')} (wasi:nn has ${GRAPH_ENCODINGS.join(', ')})`);
      if (new Set(backend.encodings).size !== backend.encodings.length) problems.push('encodings has duplicates');
    }
    if (typeof backend.load !== 'function') problems.push('load must be a function');
    for (const key of ['detect', 'hardware', 'dispose'] as const) {
      if (backend[key] !== undefined && typeof backend[key] !== 'function') problems.push(`${key} must be a function when present`);
    }
    if (problems.length) fail(problems.join('; '));
    const optional = (['detect', 'hardware', 'dispose'] as const).filter((k) => backend[k]);
    return `name "${backend.name}", encodings ${backend.encodings.join(', ')}; optional methods: ${optional.join(', ') || 'none'}`;
  },

  async hardware({ backend }) {
    if (!backend.hardware) skip('hardware() is optional; without it `wacs backends` lists no variants');
    const variants: unknown = await backend.hardware();
    if (!Array.isArray(variants)) fail(`hardware() must resolve to an array of variants, got ${typeof variants}`);
    const problems: string[] = [];
    const names = new Set<string>();
    variants.forEach((v: unknown, i) => {
      const variant = v as Record<string, unknown> | null;
      if (!variant || typeof variant !== 'object') return void problems.push(`variant ${i} is not an object`);
      const { name, available, active, detail } = variant;
      if (typeof name !== 'string' || !name) problems.push(`variant ${i}: name must be a non-empty string`);
      else if (names.has(name)) problems.push(`variant name "${name}" appears twice`);
      else names.add(name);
      if (typeof available !== 'boolean') problems.push(`variant ${String(name ?? i)}: available must be a boolean`);
      if (active !== undefined && typeof active !== 'boolean') problems.push(`variant ${String(name ?? i)}: active must be a boolean when present`);
      if (active === true && available === false) problems.push(`variant ${String(name)} is active but not available`);
      if (detail !== undefined && typeof detail !== 'string') problems.push(`variant ${String(name ?? i)}: detail must be a string when present`);
    });
    if (problems.length) fail(problems.join('; '));
    try {
      JSON.stringify(variants);
    } catch (e) {
      fail(`hardware() variants must be plain JSON (wacs backends --json prints them): ${(e as Error).message}`);
    }
    const shown = (variants as Array<{ name: string; available: boolean; active?: boolean }>).map((v) => `${v.name}${v.active ? ' (active)' : v.available ? '' : ' (unavailable)'}`);
    return `${variants.length} variant(s): ${shown.join(', ') || 'none'}`;
  },

  async 'detect-own'(run) {
    const { detect } = run.backend;
    if (!detect) skip('detect() is optional; without it the registry offers this backend every model of its encodings');
    const accepted: string[] = [];
    for (const { label, probe } of await ownProbes(run)) {
      const answer = await detect.call(run.backend, probe);
      if (answer !== true) fail(`detect() returned ${String(answer)} for ${label} (core sniffed the format as "${probe.format}"); it must return true for its own model`);
      accepted.push(label);
    }
    return `accepted ${accepted.join(' and ')}`;
  },

  async 'detect-foreign'(run) {
    const { detect } = run.backend;
    if (!detect) skip('detect() is optional; without it the registry offers this backend every model of its encodings');
    // A sample of a format core sniffs the same as the backend's own model may rightly be taken.
    const own = new Set([...(await ownProbes(run)).map((p) => p.probe.format ?? 'unknown'), ...(run.fixtures.foreign?.exclude ?? [])]);
    own.delete('unknown');
    const extra = run.fixtures.foreign?.extra ?? [];
    const samples = await foreignProbes(join(run.scratch, 'foreign'), extra);
    const builtinCount = samples.length - extra.reduce((n, s) => n + (s.bytes ? 1 : 0) + (s.path ? 1 : 0), 0);
    const claimed: string[] = [];
    const excluded: string[] = [];
    let refused = 0;
    for (const [i, { label, probe }] of samples.entries()) {
      if (i < builtinCount && own.has(probe.format ?? 'unknown')) {
        excluded.push(label);
        continue;
      }
      try {
        const answer = await detect.call(run.backend, probe);
        if (answer === false) refused++;
        else claimed.push(`${label}: returned ${String(answer)}`);
      } catch (e) {
        claimed.push(`${label}: threw ${describeError(e)} (return false instead: a throw stops the registry from trying other backends)`);
      }
    }
    if (claimed.length) fail(`detect() must return false for models that are not its own: ${claimed.join('; ')}`);
    return `refused ${refused} foreign model(s)${excluded.length ? `; not asked (same sniffed format as its own model): ${excluded.join(', ')}` : ''}`;
  },

  async 'load-bytes'(run) {
    if (!run.model.bytes) skip('the fixtures give no model bytes (a backend that loads only paths, e.g. folder formats)');
    return loadAndCompute(run, bytesSource(run));
  },

  async 'load-path'(run) {
    if (run.model.path === undefined) skip('the fixtures give no model path');
    return loadAndCompute(run, { kind: 'path', path: run.model.path });
  },

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

  async 'unknown-option'(run) {
    const options = { ...run.model.options, [UNKNOWN_OPTION_KEY]: true };
    return expectNnError(`load with option "${UNKNOWN_OPTION_KEY}"`, () => load(run, preferredSource(run), options), ['invalid-argument'], (graph) => graph.dispose());
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

  async 'in-thread'(run) {
    return withGraph(run, preferredSource(run), async (graph) => {
      if (typeof graph.inThread !== 'function') skip("inThread() is optional (computes in a guest's thread); this graph has none");
      let spec: InThreadSpec | undefined;
      await step('inThread()', () => (spec = graph.inThread!()));
      if (spec === undefined) skip('inThread() offers no twin for this model');
      const { module } = spec;
      if (typeof module !== 'string' || !isAbsolute(module)) fail(`inThread(): module must be an absolute path, got ${JSON.stringify(module)}`);
      let init: unknown;
      try {
        init = structuredClone(spec.init); // as the worker receives it
      } catch (e) {
        fail(`inThread(): init must be plain data a worker can receive (${(e as Error).message})`);
      }
      let open: unknown;
      // As the worker loads it: with require, while the guest waits.
      await step(`require(${module})`, () => (open = (createRequire(import.meta.url)(module) as { openInThread?: unknown }).openInThread));
      if (typeof open !== 'function') fail(`${module} exports no openInThread function`);
      let twin: InThreadGraph | undefined;
      await step('openInThread(init)', () => (twin = (open as (init: unknown) => InThreadGraph)(init)));
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
};

/** Runs the checks against `backend` and returns the report (it never throws for a failing backend). */
export async function runConformance(backend: Backend, fixtures: ConformanceFixtures, options: RunOptions = {}): Promise<ConformanceReport> {
  const model = checkFixtures(backend, fixtures);
  const run: Run = {
    backend,
    fixtures,
    model,
    cases: fixtures.cases,
    tolerance: { ...DEFAULT_TOLERANCE, ...fixtures.tolerance },
    scratch: await mkdtemp(join(tmpdir(), 'wacs-conformance-')),
  };
  const timeoutMs = fixtures.timeoutMs ?? 60_000;
  const results: CheckResult[] = [];
  try {
    for (const id of CHECK_IDS) {
      if (options.only && !options.only.includes(id)) continue;
      const started = performance.now();
      const result = (status: CheckResult['status'], detail: string): CheckResult => ({ id, title: CHECK_TITLES[id], status, detail, ms: Math.round(performance.now() - started) });
      let outcome: CheckResult;
      const reason = fixtures.skip?.[id];
      if (reason !== undefined) outcome = result('skip', `skipped by the fixtures: ${reason}`);
      else if (id !== 'shape' && typeof backend.load !== 'function') outcome = result('skip', 'the backend has no load() (see the shape check)');
      else {
        try {
          outcome = result('pass', await withTimeout(CHECKS[id](run), timeoutMs, `check ${id}`));
        } catch (e) {
          if (e instanceof CheckSkipped) outcome = result('skip', e.message);
          else if (e instanceof CheckFailure) outcome = result('fail', e.message);
          else outcome = result('fail', `threw ${describeError(e)}`);
        }
      }
      results.push(outcome);
      options.onResult?.(outcome);
    }
  } finally {
    await rm(run.scratch, { recursive: true, force: true });
  }
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  const name = typeof backend.name === 'string' && backend.name ? backend.name : '(unnamed backend)';
  return {
    backend: name,
    passed: count('fail') === 0,
    results,
    summary: `${name}: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`,
  };
}

/** Two lines for one check: status, id and title, then the detail. */
export function formatResult(result: CheckResult): string {
  const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;
  return `${mark[result.status]} ${result.id.padEnd(15)} ${result.title}\n     ${result.detail}`;
}

/** Every check, then the summary: what a person reads in a terminal or CI log. */
export function formatReport(report: ConformanceReport): string {
  return [...report.results.map(formatResult), report.summary].join('\n');
}
