/** MiningSchema: which fields a model uses, and what happens to missing, invalid and outlying values. */
import { NnError } from '@wacs/core/backend';
import { canonical, convert, validity, type DataField, type Field, type Scope, type Value } from './fields.js';
import { attr, children, invalid, numAttr, unsupported, type El } from './xml.js';

export interface MiningField {
  name: string;
  usage: string;
  missingReplacement?: string;
  missingTreatment: string;
  invalidTreatment: string;
  invalidReplacement?: string;
  outliers: string;
  low?: number;
  high?: number;
}

export function readMiningSchema(el: El): MiningField[] {
  return children(el, 'MiningField').map((f) => {
    const name = f.attrs.name;
    if (!name) throw invalid('<MiningField> without a name');
    const mf: MiningField = {
      name,
      usage: attr(f, 'usageType') ?? 'active',
      missingTreatment: attr(f, 'missingValueTreatment') ?? 'asIs',
      invalidTreatment: attr(f, 'invalidValueTreatment') ?? 'returnInvalid',
      outliers: attr(f, 'outliers') ?? 'asIs',
    };
    const missingReplacement = attr(f, 'missingValueReplacement');
    if (missingReplacement !== undefined) mf.missingReplacement = missingReplacement;
    const invalidReplacement = attr(f, 'invalidValueReplacement');
    if (invalidReplacement !== undefined) mf.invalidReplacement = invalidReplacement;
    const low = numAttr(f, 'lowValue');
    if (low !== undefined) mf.low = low;
    const high = numAttr(f, 'highValue');
    if (high !== undefined) mf.high = high;
    if (!['asIs', 'asMean', 'asMode', 'asMedian', 'asValue', 'returnInvalid'].includes(mf.missingTreatment)) {
      throw unsupported(`missingValueTreatment="${mf.missingTreatment}" on field "${name}"`);
    }
    if (!['returnInvalid', 'asIs', 'asMissing', 'asValue'].includes(mf.invalidTreatment)) {
      throw unsupported(`invalidValueTreatment="${mf.invalidTreatment}" on field "${name}"`);
    }
    if (!['asIs', 'asMissingValues', 'asExtremeValues'].includes(mf.outliers)) throw unsupported(`outliers="${mf.outliers}" on field "${name}"`);
    if (mf.outliers !== 'asIs' && (mf.low === undefined || mf.high === undefined)) {
      throw invalid(`field "${name}": outliers="${mf.outliers}" needs lowValue and highValue`);
    }
    return mf;
  });
}

export const INPUT_USAGES = new Set(['active']);
export const TARGET_USAGES = new Set(['predicted', 'target']);

export function targetName(schema: MiningField[]): string | undefined {
  return schema.find((f) => TARGET_USAGES.has(f.usage))?.name;
}

/** Missing-value replacement and outlier handling, for a value already known to be valid or missing. */
function missingAndOutliers(mf: MiningField, kind: Field['kind']): (value: Value) => Value {
  const replacement = mf.missingReplacement === undefined ? null : (convert(mf.missingReplacement, kind) ?? null);
  const { low = -Infinity, high = Infinity, outliers } = mf;
  return (value) => {
    if (value === null) return replacement;
    if (outliers !== 'asIs' && typeof value === 'number' && (value < low || value > high)) {
      if (outliers === 'asMissingValues') return replacement;
      return value < low ? low : high;
    }
    return value;
  };
}

/**
 * The treatment of a top-level input: validity against the DataDictionary, then
 * invalidValueTreatment, missingValueTreatment/Replacement and outliers.
 */
export function inputTreatment(data: DataField, mf: MiningField): (value: Value, row: number) => Value {
  if (data.temporal) throw unsupported(`field "${data.name}" of a date/time type`);
  const rest = missingAndOutliers(mf, data.kind);
  const invalidReplacement = mf.invalidReplacement === undefined ? undefined : convert(mf.invalidReplacement, data.kind);
  // A number for a numeric field with nothing declared about its values is valid as it is.
  const plain = data.kind === 'number' && !data.missing.size && !data.invalid.size && !data.intervals.length && (data.optype === 'continuous' || !data.valid.length);
  return (value, row) => {
    if (plain && typeof value === 'number' && value === value) return rest(value);
    let state = validity(data, value);
    if (state === 'invalid') {
      switch (mf.invalidTreatment) {
        case 'asIs': {
          const v = convert(value, data.kind);
          if (v === undefined) throw new NnError('invalid-argument', `row ${row}: field "${data.name}": "${String(value)}" is not a ${data.kind}`);
          return rest(v);
        }
        case 'asMissing':
          state = 'missing';
          break;
        case 'asValue':
          if (invalidReplacement === undefined) throw invalid(`field "${data.name}": invalidValueTreatment="asValue" needs invalidValueReplacement`);
          return invalidReplacement;
        default:
          throw new NnError('invalid-argument', `row ${row}: field "${data.name}" has the invalid value "${canonical(value, data.kind)}" (invalidValueTreatment="returnInvalid")`);
      }
    }
    if (state === 'missing') {
      if (mf.missingTreatment === 'returnInvalid') {
        throw new NnError('invalid-argument', `row ${row}: field "${data.name}" is missing (missingValueTreatment="returnInvalid")`);
      }
      return rest(null);
    }
    return rest(convert(value, data.kind)!);
  };
}

/**
 * A nested model's MiningSchema: a field with its own missing-value replacement or outlier
 * treatment is seen by that model through a derived copy.
 */
export function bindNestedSchema(schema: MiningField[], scope: Scope): void {
  for (const mf of schema) {
    if (mf.missingReplacement === undefined && mf.outliers === 'asIs') continue;
    const source = scope.lookup(mf.name);
    const treat = missingAndOutliers(mf, source.kind);
    const copy = scope.table.add(mf.name, source.kind, source.optype, (row) => treat(row.get(source)));
    scope.bind(copy);
  }
}
