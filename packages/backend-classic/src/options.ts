/**
 * The classic backend's options under Node, declared once with core's option kit: the JavaScript
 * models' (format-options.ts) and onnxruntime's session options for ONNX-ML. All apply when the
 * model loads, each to one model format.
 */
import { availableParallelism } from 'node:os';
import { defineOptions, type LoadRequest, type OptionValues } from '@wacs/core/backend';
import { SESSION_OPTIONS_AT_LOAD } from '@wacs/onnxruntime';
import { formatOptionsReader, JS_FORMAT_OPTIONS, JS_MODEL_OPTIONS, type ModelFormat } from './format-options.js';

export { names, type ModelFormat } from './format-options.js';

export const classicOptions = defineOptions(
  'classic',
  { ...JS_MODEL_OPTIONS, ...SESSION_OPTIONS_AT_LOAD },
  {
    cores: availableParallelism,
    unsupported: { outputs: 'it maps ONNX-ML outputs onto its tensor contract itself' },
  },
);

export type ClassicOptions = OptionValues<typeof classicOptions.specs>;

const readOptions = formatOptionsReader(classicOptions, {
  ...JS_FORMAT_OPTIONS,
  'ONNX-ML': Object.keys(SESSION_OPTIONS_AT_LOAD) as Array<keyof typeof SESSION_OPTIONS_AT_LOAD>,
});

/** A load request's options for a model of `format`, checked (see `formatOptionsReader`). */
export function loadOptions(request: Pick<LoadRequest, 'options' | 'guestOptions'>, format: ModelFormat): ClassicOptions {
  return readOptions(request, format);
}
