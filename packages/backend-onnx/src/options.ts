/**
 * Graph options, declared once with core's option kit: from the named-model spec
 * (`--model m=x.onnx,intra_op_threads=1`), a load-by-name config, or a compute's `metadata` JSON.
 * The session options are the ones every backend on onnxruntime shares (@wacs/onnxruntime).
 */
import { availableParallelism } from 'node:os';
import { defineOptions, type LoadRequest, type OptionSource, type OptionValues } from '@wacs/core/backend';
import { SESSION_OPTIONS, sessionSettingsOf, type SessionSettings } from '@wacs/onnxruntime';

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
    ...SESSION_OPTIONS,
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
  const options: GraphOptions = sessionSettingsOf(values);
  if (values.outputs !== undefined) options.outputs = values.outputs;
  if (values.in_thread !== undefined) options.inThread = values.in_thread;
  return options;
}

/** The session-shaping part of some options, or undefined when they set none. */
export function sessionSettings(options: GraphOptions): SessionSettings | undefined {
  const { outputs: _outputs, inThread: _inThread, ...settings } = options;
  return Object.keys(settings).length ? settings : undefined;
}
