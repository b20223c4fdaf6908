/**
 * The options that shape an onnxruntime session, as a fragment of an option spec: every backend
 * on this engine declares them in its own `defineOptions` (with `{ cores }` for the thread cap),
 * so they read and check the same everywhere.
 */
import type { OptionSpec, OptionValues } from '@wacs/core/backend';
import type { InferenceSession } from 'onnxruntime-node';

export const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;
export const EXECUTION_MODES = ['sequential', 'parallel'] as const;
/** Execution providers onnxruntime-node knows by name (which are installed varies: see `hardware()`). */
export const PROVIDER_NAMES = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;

/** Session options, taking effect per compute (metadata may ask for another session). */
export const SESSION_OPTIONS = {
  intra_op_threads: { type: 'threads', when: 'compute', doc: 'threads within one operator (0: onnxruntime chooses)' },
  inter_op_threads: { type: 'threads', when: 'compute', doc: 'threads across operators, with execution_mode parallel (0: onnxruntime chooses)' },
  graph_optimization_level: { type: 'choice', when: 'compute', choices: OPTIMIZATION_LEVELS, default: 'all', doc: 'graph optimisations onnxruntime applies' },
  execution_mode: { type: 'choice', when: 'compute', choices: EXECUTION_MODES, default: 'sequential', doc: 'run operators one at a time or in parallel' },
  execution_providers: { type: 'list', when: 'compute', choices: PROVIDER_NAMES, doc: 'execution providers in preference order, instead of those the target picks' },
  spin_wait: {
    type: 'boolean',
    when: 'compute',
    default: false,
    doc: "onnxruntime's pool threads spin after each run instead of sleeping (faster only when the process has the cores to itself; beside guests they take the cores the guests need)",
  },
} as const satisfies Record<string, OptionSpec>;

/** The same options for a backend that applies them when the model loads only. */
export const SESSION_OPTIONS_AT_LOAD = Object.fromEntries(Object.entries(SESSION_OPTIONS).map(([name, spec]) => [name, { ...spec, when: 'load' }])) as {
  [K in keyof typeof SESSION_OPTIONS]: Omit<(typeof SESSION_OPTIONS)[K], 'when'> & { when: 'load' };
};

/** Options that shape an InferenceSession (a change means another session). */
export interface SessionSettings {
  intraOpThreads?: number;
  interOpThreads?: number;
  optimizationLevel?: (typeof OPTIMIZATION_LEVELS)[number];
  executionMode?: (typeof EXECUTION_MODES)[number];
  /** Overrides the providers the execution target would pick. */
  providers?: string[];
  /** Pool threads spin after a run (onnxruntime's default); wacs makes them sleep unless asked. */
  spinWait?: boolean;
}

/** The session settings among some checked option values. */
export function sessionSettingsOf(values: OptionValues<typeof SESSION_OPTIONS>): SessionSettings {
  const settings: SessionSettings = {};
  if (values.intra_op_threads !== undefined) settings.intraOpThreads = values.intra_op_threads;
  if (values.inter_op_threads !== undefined) settings.interOpThreads = values.inter_op_threads;
  if (values.graph_optimization_level !== undefined) settings.optimizationLevel = values.graph_optimization_level;
  if (values.execution_mode !== undefined) settings.executionMode = values.execution_mode;
  if (values.execution_providers !== undefined) settings.providers = values.execution_providers.map(String);
  if (values.spin_wait) settings.spinWait = true;
  return settings;
}

/** onnxruntime's SessionOptions for some settings (providers are chosen separately). */
export function ortSessionOptions(settings: SessionSettings): InferenceSession.SessionOptions {
  // Warnings (e.g. about old opsets) would land in the guest's stderr; errors still show.
  const options: InferenceSession.SessionOptions = { logSeverityLevel: 3 };
  // onnxruntime's pool threads spin for a while after each run by default. In a wacs process the
  // guest's thread (and under `wacs serve`, the other guests and the HTTP side) needs those cores
  // right then: spinning cost an OIP mnist request 8 ms of CPU on 2 cores, for a 30 µs model.
  const spin = settings.spinWait ? '1' : '0';
  options.extra = { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } };
  if (settings.intraOpThreads !== undefined) options.intraOpNumThreads = settings.intraOpThreads;
  if (settings.interOpThreads !== undefined) options.interOpNumThreads = settings.interOpThreads;
  if (settings.optimizationLevel !== undefined) options.graphOptimizationLevel = settings.optimizationLevel;
  if (settings.executionMode !== undefined) options.executionMode = settings.executionMode;
  return options;
}
