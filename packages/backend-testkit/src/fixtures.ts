/** The author's fixtures, checked once before any check runs, and the model under test they describe. */
import { GRAPH_ENCODINGS, validateTensor, type Backend, type ExecutionTarget, type GraphEncoding, type NamedTensor, type Options } from '@wacs/core/backend';
import { outputProblems } from './tensors.js';
import type { ConformanceCase, ConformanceFixtures } from './types.js';

export interface Model {
  bytes?: Uint8Array[];
  path?: string;
  encoding: GraphEncoding;
  target: ExecutionTarget;
  options: Options;
}

export const caseLabel = (c: ConformanceCase, index: number) => c.label ?? `case ${index}`;

/** Author mistakes in the fixtures are programming errors, not check results: they throw. */
export function checkFixtures(backend: Backend, fixtures: ConformanceFixtures): Model {
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
