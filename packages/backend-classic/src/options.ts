/**
 * The classic backend's options, declared once with core's option kit. Each applies to one model
 * format; a user who types one for another format gets an error, a guest's is ignored (as with
 * keys this backend does not know at all). All apply when the model loads.
 */
import { availableParallelism } from 'node:os';
import { defineOptions, NnError, type LoadRequest, type OptionValues } from '@wacs/core/backend';
import { SESSION_OPTIONS_AT_LOAD } from '@wacs/onnxruntime';

export type ModelFormat = 'PMML' | 'ml.js' | 'ONNX-ML';

export const classicOptions = defineOptions(
  'classic',
  {
    features: { type: 'list', when: 'load', separator: '|', doc: 'PMML: the field names of the features input\'s columns, in order (default: the model\'s active fields)' },
    classes: { type: 'list', when: 'load', separator: '|', doc: 'ml.js: the class names, in label order (default: the labels the model was trained on)' },
    ...SESSION_OPTIONS_AT_LOAD,
  },
  {
    cores: availableParallelism,
    unsupported: { outputs: 'it maps ONNX-ML outputs onto its tensor contract itself' },
  },
);

export type ClassicOptions = OptionValues<typeof classicOptions.specs>;

const FORMAT_OPTIONS: Record<ModelFormat, ReadonlyArray<keyof ClassicOptions>> = {
  PMML: ['features'],
  'ml.js': ['classes'],
  'ONNX-ML': Object.keys(SESSION_OPTIONS_AT_LOAD) as Array<keyof typeof SESSION_OPTIONS_AT_LOAD>,
};

/**
 * A load request's options for a model of `format`, checked: the user's strictly (an option of
 * another format is an error), the guest's leniently (dropped).
 */
export function loadOptions(request: Pick<LoadRequest, 'options' | 'guestOptions'>, format: ModelFormat): ClassicOptions {
  const { values } = classicOptions.parseLoad(request);
  const applies = FORMAT_OPTIONS[format];
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (applies.includes(name as keyof ClassicOptions)) options[name] = value;
    else if (!Object.hasOwn(request.guestOptions ?? {}, name)) {
      const known = applies.length ? `; ${format} models take ${applies.join(', ')}` : '';
      throw new NnError('invalid-argument', `model option "${name}" does not apply to ${format} models${known}`);
    }
  }
  return options as ClassicOptions;
}

/** A list option's items as names (ml.js labels and PMML fields are matched as text). */
export function names(list: Array<string | number> | undefined): string[] | undefined {
  return list?.map(String);
}
