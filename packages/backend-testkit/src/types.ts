/** What a backend author gives the kit (fixtures) and what the kit gives back (a report). */
import type { ErrorCode, ExecutionTarget, GraphEncoding, NamedTensor, Options } from '@wacs/core/backend';

/** The checks, in the order they run (`backend-dispose` must stay last: it ends the engine). */
export const CHECK_IDS = [
  'shape',
  'hardware',
  'start-engine',
  'detect-own',
  'detect-foreign',
  'load-bytes',
  'load-path',
  'context-reuse',
  'garbage-bytes',
  'garbage-path',
  'missing-path',
  'bad-input',
  'unknown-option',
  'concurrency',
  'stream',
  'in-thread',
  'dispose',
  'backend-dispose',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export const CHECK_TITLES: Record<CheckId, string> = {
  shape: 'the backend object has a name, known encodings and load()',
  hardware: 'hardware() lists well-formed variants',
  'start-engine': 'startEngine() twice at once resolves, and a load then computes correctly',
  'detect-own': 'detect() accepts its own model',
  'detect-foreign': 'detect() refuses other formats and garbage',
  'load-bytes': 'loads from bytes and computes the expected outputs',
  'load-path': 'loads from a path and computes the expected outputs',
  'context-reuse': 'one context computes many times, each correct, though the host moves its outputs away',
  'garbage-bytes': 'garbage bytes fail with invalid-encoding or runtime-error',
  'garbage-path': 'a garbage file fails with invalid-encoding or runtime-error',
  'missing-path': 'a missing path fails with not-found',
  'bad-input': 'bad inputs fail with invalid-argument',
  'unknown-option': 'an unknown option key fails with invalid-argument',
  concurrency: 'many contexts compute at once on one graph, each correct',
  stream: 'stream() yields well-formed steps and ends with the compute outputs',
  'in-thread': "the graph's in-thread twin loads as a worker loads it and computes what the graph computes, synchronously",
  dispose: 'contexts and graphs dispose twice without throwing; a fresh load still works',
  'backend-dispose': 'backend.dispose() releases the engine without throwing',
};

/** The model under test. Give `bytes`, `path`, or both (each source is checked). */
export interface ModelFixture {
  /** The bytes a guest passes to `load`: one array per graph builder. */
  bytes?: Uint8Array | Uint8Array[];
  /** A host file or folder, as `wacs run --model name=<path>` registers it. */
  path?: string;
  /** The encoding the host passes to `load`; default: the backend's first encoding. */
  encoding?: GraphEncoding;
  /** Default `auto`. */
  target?: ExecutionTarget;
  /** Graph options every load gets (e.g. `{ threads: 1 }` to keep tests light). */
  options?: Options;
}

/** Throws (any error) when `outputs` are wrong; `inputs` are the case's inputs. */
export type OutputCheck = (outputs: NamedTensor[], inputs: NamedTensor[]) => void | Promise<void>;

/** One compute with a known answer. */
export interface ConformanceCase {
  label?: string;
  /** Valid inputs, named as a guest would name them. */
  inputs: NamedTensor[];
  /**
   * The oracle: expected outputs (matched by name; floats within the tolerance, the rest exact;
   * outputs not listed are only checked for well-formedness) or a function that throws when the
   * outputs are wrong.
   */
  expect: NamedTensor[] | OutputCheck;
}

/** Inputs that are well-formed tensors but wrong for the model: compute must fail with `invalid-argument`. */
export interface BadInput {
  label: string;
  inputs: NamedTensor[];
  /** The wasi:nn code it must fail with (default `invalid-argument`; metadata that is not JSON: `invalid-encoding`). */
  code?: ErrorCode;
}

/** A model of another format that `detect` must refuse. */
export interface ForeignSample {
  label: string;
  bytes?: Uint8Array;
  path?: string;
}

export interface Tolerance {
  /** Relative tolerance for FP16/FP32/FP64/BF16 values (default 1e-4). */
  rtol: number;
  /** Absolute tolerance (default 1e-5). */
  atol: number;
}

export interface ConformanceFixtures {
  model: ModelFixture;
  /** At least one; with several, concurrent contexts get different cases (so cross-talk shows). */
  cases: ConformanceCase[];
  /** More bad inputs, beyond the built-in ones (no inputs; the first case plus an unknown input). */
  badInputs?: BadInput[];
  /**
   * Overrides for the garbage models. Defaults: pseudo-random bytes; for a path, a file of them
   * named like the model file, or for a folder model a folder with the same entries, each garbage.
   */
  garbage?: { bytes?: Uint8Array[]; path?: string };
  /** `extra`: more formats detect must refuse; `exclude`: sniffed formats this backend also claims. */
  foreign?: { extra?: ForeignSample[]; exclude?: string[] };
  /** Contexts computing at once in `concurrency` (default 4). */
  concurrency?: number;
  /** Which case `stream` uses (default 0). */
  streamCase?: number;
  tolerance?: Partial<Tolerance>;
  /** Time limit of one check, in ms (default 60000); a hung engine fails the check instead of the run. */
  timeoutMs?: number;
  /** Checks that cannot apply to this backend, with the reason (reported as skipped). */
  skip?: Partial<Record<CheckId, string>>;
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was checked (pass), what went wrong (fail), or why it did not apply (skip). */
  detail: string;
  ms: number;
}

export interface ConformanceReport {
  backend: string;
  passed: boolean;
  results: CheckResult[];
  /** e.g. "onnx: 14 passed, 0 failed, 2 skipped". */
  summary: string;
}

export interface RunOptions {
  /** Run only these checks. */
  only?: CheckId[];
  /** Called as each check finishes (for progress output). */
  onResult?: (result: CheckResult) => void;
}
