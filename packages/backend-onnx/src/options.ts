/**
 * Graph options: from the named-model spec (`--model m=x.onnx,intra_op_threads=1`), a load-by-name
 * config, or a compute's `metadata` JSON input. Every key is checked; an unknown key is an
 * `invalid-argument` that names it.
 */
import { availableParallelism } from 'node:os';
import { NnError } from '@wacs/core/backend';
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

export const OPTION_KEYS = [
  'intra_op_threads',
  'inter_op_threads',
  'graph_optimization_level',
  'execution_mode',
  'execution_providers',
  'outputs',
  'in_thread',
] as const;

function threads(value: unknown, key: string, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new NnError('invalid-argument', `${where}: ${key} must be a whole number of threads (0 lets onnxruntime choose), got ${JSON.stringify(value)}`);
  }
  // Options can come from a guest: a thread pool larger than the machine only costs the host.
  const cores = availableParallelism();
  if (value > cores) throw new NnError('invalid-argument', `${where}: ${key} ${value} is more threads than this machine's ${cores} cores`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], key: string, where: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new NnError('invalid-argument', `${where}: ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** true or false, also as text (a `--model` spec's values are text). */
function flag(value: unknown, key: string, where: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new NnError('invalid-argument', `${where}: ${key} must be true or false, got ${JSON.stringify(value)}`);
}

/** A list as JSON, or as text separated by `+`, `|` or spaces (a `--model` spec splits on commas). */
function list(value: unknown, key: string, where: string): Array<string | number> {
  const items = typeof value === 'string' ? value.split(/[+|\s]+/).filter(Boolean) : typeof value === 'number' ? [value] : value;
  if (!Array.isArray(items) || items.length === 0 || !items.every((i) => typeof i === 'string' || (typeof i === 'number' && Number.isInteger(i) && i >= 0))) {
    throw new NnError('invalid-argument', `${where}: ${key} must be a non-empty list of names (e.g. ["a","b"] or "a+b"), got ${JSON.stringify(value)}`);
  }
  return items as Array<string | number>;
}

/** Checks and converts raw options; `where` names their source in errors ("model option", "metadata"). */
export function parseGraphOptions(raw: Record<string, unknown>, where: string): GraphOptions {
  const options: GraphOptions = {};
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'intra_op_threads':
        options.intraOpThreads = threads(value, key, where);
        break;
      case 'inter_op_threads':
        options.interOpThreads = threads(value, key, where);
        break;
      case 'graph_optimization_level':
        options.optimizationLevel = oneOf(value, OPTIMIZATION_LEVELS, key, where);
        break;
      case 'execution_mode':
        options.executionMode = oneOf(value, EXECUTION_MODES, key, where);
        break;
      case 'execution_providers': {
        const names = list(value, key, where).map(String);
        for (const name of names) oneOf(name, PROVIDER_NAMES, `${key} entry`, where);
        options.providers = names;
        break;
      }
      case 'outputs':
        options.outputs = list(value, key, where);
        break;
      case 'in_thread':
        options.inThread = flag(value, key, where);
        break;
      default:
        throw new NnError('invalid-argument', `${where}: unknown option "${key}"; the onnx backend knows ${OPTION_KEYS.join(', ')}`);
    }
  }
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
