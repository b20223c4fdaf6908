/**
 * Graph options, declared once with core's option kit: from the named-model spec
 * (`--model m=x.onnx,intra_op_threads=1`), a load-by-name config, or a compute's `metadata` JSON.
 */
import { availableParallelism } from 'node:os';
import { defineOptions, type LoadRequest, type OptionSource, type OptionValues } from '@wacs/core/backend';
import type { InferenceSession } from 'onnxruntime-node';

export const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;
export const EXECUTION_MODES = ['sequential', 'parallel'] as const;
/** Execution providers onnxruntime-node knows by name (which are installed varies: see `hardware()`). */
export const PROVIDER_NAMES = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;

/** Options that shape an InferenceSession (a change means another session). */
export interface SessionSettings {
  intraOpThreads?: number;
  interOpThreads?: number;
  optimizationLevel?: (typeof OPTIMIZATION_LEVELS)[number];
  executionMode?: (typeof EXECUTION_MODES)[number];
  /** Overrides the providers the execution target would pick. */
  providers?: string[];
}

export interface GraphOptions extends SessionSettings {
  /** The outputs to compute and return (names or model-order indexes); default: all. */
  outputs?: Array<string | number>;
  /** Whether preview1 guests may compute in their own thread (default: CPU models up to 64 MiB). */
  inThread?: boolean;
}

/** The onnx backend's options: session options (a change per compute means another session), outputs, in-thread. */
export const onnxOptions = defineOptions(
  'onnx',
  {
    intra_op_threads: { type: 'threads', when: 'compute', doc: 'threads within one operator (0: onnxruntime chooses)' },
    inter_op_threads: { type: 'threads', when: 'compute', doc: 'threads across operators, with execution_mode parallel (0: onnxruntime chooses)' },
    graph_optimization_level: { type: 'choice', when: 'compute', choices: OPTIMIZATION_LEVELS, default: 'all', doc: 'graph optimisations onnxruntime applies' },
    execution_mode: { type: 'choice', when: 'compute', choices: EXECUTION_MODES, default: 'sequential', doc: 'run operators one at a time or in parallel' },
    execution_providers: { type: 'list', when: 'compute', choices: PROVIDER_NAMES, doc: 'execution providers in preference order, instead of those the target picks' },
    outputs: { type: 'list', when: 'compute', doc: 'the outputs to compute and return (names or model-order indexes); default: all' },
    in_thread: { type: 'boolean', when: 'load', doc: 'whether preview1 guests may compute in their own thread (default: CPU models up to 64 MiB)' },
  },
  { cores: availableParallelism },
);

/** Options from one source, checked, in the shape sessions use. */
export function parseGraphOptions(raw: Readonly<Record<string, unknown>>, source: OptionSource): GraphOptions {
  return graphOptions(onnxOptions.parse(raw, source).values);
}

/** A load request's options, checked (the user's strictly, the guest's leniently). */
export function loadOptions(request: Pick<LoadRequest, 'options' | 'guestOptions'>): GraphOptions {
  return graphOptions(onnxOptions.parseLoad(request).values);
}

function graphOptions(values: OptionValues<typeof onnxOptions.specs>): GraphOptions {
  const options: GraphOptions = {};
  if (values.intra_op_threads !== undefined) options.intraOpThreads = values.intra_op_threads;
  if (values.inter_op_threads !== undefined) options.interOpThreads = values.inter_op_threads;
  if (values.graph_optimization_level !== undefined) options.optimizationLevel = values.graph_optimization_level;
  if (values.execution_mode !== undefined) options.executionMode = values.execution_mode;
  if (values.execution_providers !== undefined) options.providers = values.execution_providers.map(String);
  if (values.outputs !== undefined) options.outputs = values.outputs;
  if (values.in_thread !== undefined) options.inThread = values.in_thread;
  return options;
}

/** The session-shaping part of some options, or undefined when they set none. */
export function sessionSettings(options: GraphOptions): SessionSettings | undefined {
  const { outputs: _outputs, inThread: _inThread, ...settings } = options;
  return Object.keys(settings).length ? settings : undefined;
}

/** onnxruntime's SessionOptions for some settings (providers are chosen separately). */
export function ortSessionOptions(settings: SessionSettings): InferenceSession.SessionOptions {
  // Warnings (e.g. about old opsets) would land in the guest's stderr; errors still show.
  const options: InferenceSession.SessionOptions = { logSeverityLevel: 3 };
  if (settings.intraOpThreads !== undefined) options.intraOpNumThreads = settings.intraOpThreads;
  if (settings.interOpThreads !== undefined) options.interOpNumThreads = settings.interOpThreads;
  if (settings.optimizationLevel !== undefined) options.graphOptimizationLevel = settings.optimizationLevel;
  if (settings.executionMode !== undefined) options.executionMode = settings.executionMode;
  return options;
}
