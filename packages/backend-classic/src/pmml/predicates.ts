/**
 * Predicates in PMML's three-valued logic (TRUE, FALSE, UNKNOWN when a value is missing). A simple
 * comparison of a numeric field also comes back as a plain (op, slot, threshold) triple, which the
 * tree compiler lays out in flat arrays.
 */
import { canonical, convert, type Field, type Row, type Scope } from './fields.js';
import { arrayChild, arrayValues, invalid, requiredAttr, unsupported, type El } from './xml.js';

export const FALSE = 0;
export const TRUE = 1;
export const UNKNOWN = 2;
export type Truth = 0 | 1 | 2;

/** Op codes for flat numeric comparisons (see tree.ts). */
export const OP = { LT: 0, LE: 1, GT: 2, GE: 3, EQ: 4, NE: 5, TRUE: 6, FALSE: 7, IS_MISSING: 8, IS_NOT_MISSING: 9, CLOSURE: 10 } as const;

export interface CompiledPredicate {
  test: (row: Row) => Truth;
  /** Set when the predicate is a flat numeric comparison (or constant). */
  flat?: { op: number; field?: Field; value: number };
}

export const PREDICATES = new Set(['SimplePredicate', 'CompoundPredicate', 'SimpleSetPredicate', 'True', 'False']);

const OPERATORS: Record<string, number> = {
  lessThan: OP.LT,
  lessOrEqual: OP.LE,
  greaterThan: OP.GT,
  greaterOrEqual: OP.GE,
  equal: OP.EQ,
  notEqual: OP.NE,
  isMissing: OP.IS_MISSING,
  isNotMissing: OP.IS_NOT_MISSING,
};

function truth(b: boolean): Truth {
  return b ? TRUE : FALSE;
}

export function predicateChild(el: El): El {
  const p = el.children.find((c) => PREDICATES.has(c.name));
  if (!p) throw invalid(`<${el.name}> needs a predicate`);
  return p;
}

/** Orders string values of an ordinal field by their declared order. */
function ordinalRank(field: Field): (v: string) => number {
  const values = field.values;
  if (!values) throw unsupported(`ordering comparisons on the string field "${field.name}" without declared ordinal values`);
  return (v) => values.indexOf(v);
}

function simple(el: El, scope: Scope): CompiledPredicate {
  const field = scope.lookup(requiredAttr(el, 'field'));
  const opName = requiredAttr(el, 'operator');
  const op = OPERATORS[opName];
  if (op === undefined) throw unsupported(`SimplePredicate operator "${opName}"`);
  // Strings are not in the numeric slots, so only numeric fields get a flat form.
  const flat = field.kind === 'string' ? undefined : { op, field, value: 0 };
  if (op === OP.IS_MISSING) return { test: (row) => truth(row.get(field) === null), flat };
  if (op === OP.IS_NOT_MISSING) return { test: (row) => truth(row.get(field) !== null), flat };
  const text = requiredAttr(el, 'value');
  if (field.kind !== 'string') {
    const value = convert(text, field.kind);
    if (value === undefined || value === null) throw invalid(`SimplePredicate on "${field.name}": "${text}" is not a ${field.kind}`);
    const x = Number(value);
    const compare = numericComparison(op, x);
    return {
      test: (row) => {
        const v = row.get(field);
        return v === null ? UNKNOWN : truth(compare(Number(v)));
      },
      flat: { op, field, value: x },
    };
  }
  const value = canonical(text, 'string')!;
  if (op === OP.EQ || op === OP.NE) {
    const eq = op === OP.EQ;
    return {
      test: (row) => {
        const v = row.get(field);
        return v === null ? UNKNOWN : truth((v === value) === eq);
      },
    };
  }
  const rank = ordinalRank(field);
  const compare = numericComparison(op, rank(value));
  return {
    test: (row) => {
      const v = row.get(field);
      return v === null ? UNKNOWN : truth(compare(rank(v as string)));
    },
  };
}

function numericComparison(op: number, x: number): (v: number) => boolean {
  switch (op) {
    case OP.LT:
      return (v) => v < x;
    case OP.LE:
      return (v) => v <= x;
    case OP.GT:
      return (v) => v > x;
    case OP.GE:
      return (v) => v >= x;
    case OP.EQ:
      return (v) => v === x;
    default:
      return (v) => v !== x;
  }
}

function simpleSet(el: El, scope: Scope): CompiledPredicate {
  const field = scope.lookup(requiredAttr(el, 'field'));
  const op = requiredAttr(el, 'booleanOperator');
  if (op !== 'isIn' && op !== 'isNotIn') throw unsupported(`SimpleSetPredicate booleanOperator "${op}"`);
  const array = arrayChild(el);
  if (!array) throw invalid('SimpleSetPredicate needs an Array');
  const set = new Set(arrayValues(array).map((v) => canonical(v, field.kind)));
  const isIn = op === 'isIn';
  return {
    test: (row) => {
      const v = row.get(field);
      return v === null ? UNKNOWN : truth(set.has(canonical(v, field.kind)) === isIn);
    },
  };
}

function compound(el: El, scope: Scope): CompiledPredicate {
  const op = requiredAttr(el, 'booleanOperator');
  const parts = el.children.filter((c) => PREDICATES.has(c.name)).map((c) => compilePredicate(c, scope).test);
  if (parts.length < 2) throw invalid(`CompoundPredicate "${op}" needs at least two predicates`);
  switch (op) {
    case 'and':
      return {
        test: (row) => {
          let result: Truth = TRUE;
          for (const p of parts) {
            const t = p(row);
            if (t === FALSE) return FALSE;
            if (t === UNKNOWN) result = UNKNOWN;
          }
          return result;
        },
      };
    case 'or':
      return {
        test: (row) => {
          let result: Truth = FALSE;
          for (const p of parts) {
            const t = p(row);
            if (t === TRUE) return TRUE;
            if (t === UNKNOWN) result = UNKNOWN;
          }
          return result;
        },
      };
    case 'xor':
      return {
        test: (row) => {
          let odd = false;
          for (const p of parts) {
            const t = p(row);
            if (t === UNKNOWN) return UNKNOWN;
            if (t === TRUE) odd = !odd;
          }
          return truth(odd);
        },
      };
    case 'surrogate':
      return {
        test: (row) => {
          for (const p of parts) {
            const t = p(row);
            if (t !== UNKNOWN) return t;
          }
          return UNKNOWN;
        },
      };
    default:
      throw unsupported(`CompoundPredicate booleanOperator "${op}"`);
  }
}

export function compilePredicate(el: El, scope: Scope): CompiledPredicate {
  switch (el.name) {
    case 'True':
      return { test: () => TRUE, flat: { op: OP.TRUE, value: 0 } };
    case 'False':
      return { test: () => FALSE, flat: { op: OP.FALSE, value: 0 } };
    case 'SimplePredicate':
      return simple(el, scope);
    case 'SimpleSetPredicate':
      return simpleSet(el, scope);
    case 'CompoundPredicate':
      return compound(el, scope);
    default:
      throw unsupported(`the predicate <${el.name}>`);
  }
}
