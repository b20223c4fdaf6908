/**
 * What every check group shares: the run a check gets, ending a check early (skip), loading the
 * model under test, and computing a case with its outputs judged. Graphs and contexts a check
 * opens are disposed on its way out.
 */
import type { Backend, ExecutionContext, Graph, ModelSource, NamedTensor, Options } from '@wacs/core/backend';
import { CheckFailure, CheckSkipped, describeError, fail } from '../errors.js';
import type { Model } from '../fixtures.js';
import { copyInputs, outputProblems, outputsMismatch } from '../tensors.js';
import type { CheckId, ConformanceCase, ConformanceFixtures, Tolerance } from '../types.js';

export interface Run {
  backend: Backend;
  fixtures: ConformanceFixtures;
  model: Model;
  cases: ConformanceCase[];
  tolerance: Tolerance;
  scratch: string;
}

/** One check: resolves to what it saw, or ends with `fail` or `skip`. */
export type Check = (run: Run) => Promise<string>;
/** Checks of one concern, by id. */
export type CheckGroup = Partial<Record<CheckId, Check>>;

export function skip(reason: string): never {
  throw new CheckSkipped(reason);
}

export function load(run: Run, source: ModelSource, options: Options = run.model.options): Promise<Graph> {
  const { encoding, target } = run.model;
  // Loads by path carry a name, as the host's load-by-name does.
  const name = source.kind === 'path' ? { name: 'conformance-model' } : {};
  return Promise.resolve().then(() => run.backend.load({ source, encoding, target, options: { ...options }, ...name }));
}

export function bytesSource(run: Run): ModelSource {
  // Copies: the host hands a backend bytes it may keep, and later loads must see the originals.
  return { kind: 'bytes', builders: run.model.bytes!.map((b) => b.slice()) };
}

/** The path when there is one (how most models are served), else the bytes. */
export function preferredSource(run: Run): ModelSource {
  return run.model.path !== undefined ? { kind: 'path', path: run.model.path } : bytesSource(run);
}

export function checkGraph(graph: Graph): Graph {
  if (!graph || typeof graph.createContext !== 'function' || typeof graph.dispose !== 'function') {
    fail('load() must resolve to a Graph with createContext() and dispose()');
  }
  return graph;
}

export async function newContext(graph: Graph): Promise<ExecutionContext> {
  const context = await graph.createContext();
  if (!context || typeof context.compute !== 'function' || typeof context.dispose !== 'function') {
    fail('createContext() must return an ExecutionContext with compute() and dispose()');
  }
  return context;
}

/** Disposes on the way out of a check; dispose errors are the `dispose` check's business. */
export async function quietly(dispose: () => unknown): Promise<void> {
  try {
    await dispose();
  } catch {
    // reported by the dispose check
  }
}

export async function judge(run: Run, c: ConformanceCase, outputs: NamedTensor[], label: string): Promise<void> {
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

export async function computeCase(run: Run, context: ExecutionContext, c: ConformanceCase, label: string): Promise<NamedTensor[]> {
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

export async function withGraph<T>(run: Run, source: ModelSource, use: (graph: Graph) => Promise<T>): Promise<T> {
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

export async function withContext<T>(graph: Graph, use: (context: ExecutionContext) => Promise<T>): Promise<T> {
  const context = await newContext(graph);
  try {
    return await use(context);
  } finally {
    await quietly(() => context.dispose());
  }
}

export async function step(what: string, action: () => unknown): Promise<void> {
  try {
    await action();
  } catch (e) {
    fail(`${what} threw ${describeError(e)}`);
  }
}
