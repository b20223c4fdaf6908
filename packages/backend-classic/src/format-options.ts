/**
 * The options of the models evaluated in JavaScript (PMML, ml.js), and the rule that each option
 * applies to one model format: a user who types one for another format gets an error, a guest's is
 * ignored (as with keys the backend does not know at all). Browser-safe: the browser entry and the
 * Node entry (which adds onnxruntime's session options for ONNX-ML) share it.
 */
import { NnError, type LoadRequest, type OptionSet, type OptionSpecs, type OptionValues } from '@wacs/core/backend';

export type ModelFormat = 'PMML' | 'ml.js' | 'ONNX-ML';

export const JS_MODEL_OPTIONS = {
  features: { type: 'list', when: 'load', separator: '|', doc: 'PMML: the field names of the features input\'s columns, in order (default: the model\'s active fields)' },
  classes: { type: 'list', when: 'load', separator: '|', doc: 'ml.js: the class names, in label order (default: the labels the model was trained on)' },
} as const satisfies OptionSpecs;

export interface JsModelOptions {
  features?: Array<string | number>;
  classes?: Array<string | number>;
}

/**
 * Reads a load request's options for a model of one format, checked: the user's strictly (an
 * option of another format is an error), the guest's leniently (dropped).
 */
export function formatOptionsReader<T extends OptionSpecs>(set: OptionSet<T>, applying: Partial<Record<ModelFormat, ReadonlyArray<keyof T & string>>>) {
  return (request: Pick<LoadRequest, 'options' | 'guestOptions'>, format: ModelFormat): OptionValues<T> => {
    const { values } = set.parseLoad(request);
    const applies = applying[format] ?? [];
    const options: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      if (applies.includes(name as keyof T & string)) options[name] = value;
      else if (!Object.hasOwn(request.guestOptions ?? {}, name)) {
        const known = applies.length ? `; ${format} models take ${applies.join(', ')}` : '';
        throw new NnError('invalid-argument', `model option "${name}" does not apply to ${format} models${known}`);
      }
    }
    return options as OptionValues<T>;
  };
}

export const JS_FORMAT_OPTIONS = { PMML: ['features'], 'ml.js': ['classes'] } as const;

/** A list option's items as names (ml.js labels and PMML fields are matched as text). */
export function names(list: Array<string | number> | undefined): string[] | undefined {
  return list?.map(String);
}
