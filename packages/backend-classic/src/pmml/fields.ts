/**
 * Fields and the per-row state. Every field a model can see (data fields, derived fields, output
 * fields of chained segments, function parameters) gets a slot; numbers and booleans live in a
 * Float64Array (NaN = missing), strings in an array (null = missing). Derived fields are computed
 * on first use in a row and kept until the next row.
 */
import { NnError } from '@wacs/core/backend';
import { attr, children, invalid, numAttr, parseNumber, unsupported, type El } from './xml.js';

export type Value = number | string | boolean | null;
export type FieldKind = 'number' | 'string' | 'boolean';
export type OpType = 'categorical' | 'ordinal' | 'continuous';

export function kindOf(dataType: string | undefined, context: string): FieldKind {
  switch (dataType ?? 'double') {
    case 'string':
      return 'string';
    case 'integer':
    case 'float':
    case 'double':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      throw unsupported(`dataType "${dataType}" (${context}); dates and times are not`);
  }
}

/** Converts a value to a field's kind; undefined when it cannot be (an invalid value). */
export function convert(value: Value, kind: FieldKind): Value | undefined {
  if (value === null) return null;
  switch (kind) {
    case 'number': {
      if (typeof value === 'number') return value;
      if (typeof value === 'boolean') return value ? 1 : 0;
      const n = parseNumber(value);
      return Number.isNaN(n) ? undefined : n;
    }
    case 'string':
      return typeof value === 'string' ? value : String(value);
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
      const t = value.trim().toLowerCase();
      return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : undefined;
    }
  }
}

/** The text form used to compare categories: numbers canonicalised ("1.0" and "1" are one category). */
export function canonical(value: Value, kind: FieldKind): string | null {
  const v = convert(value, kind);
  if (v === null) return null;
  if (v === undefined) return typeof value === 'string' ? value : String(value);
  return String(v);
}

export interface Field {
  name: string;
  kind: FieldKind;
  optype: OpType;
  slot: number;
  /** Valid values in declared order (categorical/ordinal data fields), canonical. */
  values?: string[];
  /** Set for derived fields: computes the value from other slots. */
  compute?: (row: Row) => Value;
}

export class SlotTable {
  readonly fields: Field[] = [];

  add(name: string, kind: FieldKind, optype: OpType, compute?: (row: Row) => Value): Field {
    const field: Field = { name, kind, optype, slot: this.fields.length, ...(compute ? { compute } : {}) };
    this.fields.push(field);
    return field;
  }
}

export class Row {
  readonly num: Float64Array;
  readonly str: Array<string | null>;
  private readonly stamp: Uint32Array;
  private gen = 1;
  private readonly fields: Field[];
  /** Index of the row being evaluated, for error messages. */
  index = 0;

  constructor(table: SlotTable) {
    const n = table.fields.length;
    this.fields = table.fields;
    this.num = new Float64Array(n).fill(NaN);
    this.str = new Array<string | null>(n).fill(null);
    this.stamp = new Uint32Array(n);
  }

  /** Starts a new row: every derived field will be computed afresh. */
  next(index: number): void {
    this.index = index;
    this.gen++;
  }

  ensure(slot: number): void {
    if (this.stamp[slot] === this.gen) return;
    this.stamp[slot] = this.gen;
    const field = this.fields[slot]!;
    this.store(field, field.compute!(this));
  }

  store(field: Field, value: Value): void {
    const v = convert(value, field.kind);
    if (v === undefined) {
      throw new NnError('invalid-argument', `row ${this.index}: "${String(value)}" is not a valid ${field.kind} for field "${field.name}"`);
    }
    if (field.kind === 'string') this.str[field.slot] = v as string | null;
    else this.num[field.slot] = v === null ? NaN : Number(v);
  }

  get(field: Field): Value {
    if (field.compute) this.ensure(field.slot);
    if (field.kind === 'string') return this.str[field.slot]!;
    const n = this.num[field.slot]!;
    if (n !== n) return null;
    return field.kind === 'boolean' ? n !== 0 : n;
  }
}

/** Name → field, with the enclosing model's fields behind it. */
export class Scope {
  private readonly own = new Map<string, Field>();

  constructor(
    readonly table: SlotTable,
    private readonly parent?: Scope,
  ) {}

  lookup(name: string): Field {
    const f = this.find(name);
    if (!f) throw invalid(`field "${name}" is referenced but not defined`);
    return f;
  }

  find(name: string): Field | undefined {
    return this.own.get(name) ?? this.parent?.find(name);
  }

  bind(field: Field, name = field.name): void {
    this.own.set(name, field);
  }

  child(): Scope {
    return new Scope(this.table, this);
  }
}

export type Closure = 'openOpen' | 'openClosed' | 'closedOpen' | 'closedClosed';

export interface Interval {
  closure: Closure;
  left: number;
  right: number;
}

export function readInterval(el: El): Interval {
  const closure = (attr(el, 'closure') ?? 'closedClosed') as Closure;
  if (!['openOpen', 'openClosed', 'closedOpen', 'closedClosed'].includes(closure)) throw invalid(`<Interval closure="${closure}">`);
  return { closure, left: numAttr(el, 'leftMargin', -Infinity), right: numAttr(el, 'rightMargin', Infinity) };
}

export function inInterval(x: number, i: Interval): boolean {
  const leftOk = i.closure.startsWith('closed') ? x >= i.left : x > i.left;
  const rightOk = i.closure.endsWith('Closed') ? x <= i.right : x < i.right;
  return leftOk && rightOk;
}

/** A DataDictionary field with what decides whether a value is valid, invalid or missing. */
export interface DataField {
  name: string;
  kind: FieldKind;
  optype: OpType;
  /** Declared valid values, canonical and in order (empty: any value of the type is valid). */
  valid: string[];
  invalid: Set<string>;
  missing: Set<string>;
  intervals: Interval[];
  /** Date/time fields parse, but a model that uses one is refused (see mining.ts). */
  temporal: boolean;
}

export function readDataDictionary(el: El): Map<string, DataField> {
  const out = new Map<string, DataField>();
  for (const f of children(el, 'DataField')) {
    const name = f.attrs.name;
    if (!name) throw invalid('<DataField> without a name');
    const optype = (f.attrs.optype ?? 'continuous') as OpType;
    const dataType = f.attrs.dataType;
    const kind = isTemporal(dataType) ? 'string' : kindOf(dataType, `field "${name}"`);
    const field: DataField = { name, kind, optype, valid: [], invalid: new Set(), missing: new Set(), intervals: [], temporal: isTemporal(dataType) };
    for (const v of children(f, 'Value')) {
      const value = canonical(v.attrs.value ?? '', kind)!;
      const property = v.attrs.property ?? 'valid';
      if (property === 'valid') field.valid.push(value);
      else if (property === 'invalid') field.invalid.add(value);
      else if (property === 'missing') field.missing.add(value);
    }
    field.intervals = children(f, 'Interval').map(readInterval);
    out.set(name, field);
  }
  return out;
}

function isTemporal(dataType: string | undefined): boolean {
  return dataType !== undefined && /^(date|time|dateTime)/.test(dataType);
}

export type Validity = 'valid' | 'invalid' | 'missing';

export function validity(field: DataField, value: Value): Validity {
  if (value === null || (typeof value === 'number' && Number.isNaN(value))) return 'missing';
  const text = canonical(value, field.kind);
  if (text === null) return 'missing';
  if (field.missing.has(text)) return 'missing';
  if (convert(value, field.kind) === undefined) return 'invalid';
  if (field.invalid.has(text)) return 'invalid';
  if (field.optype !== 'continuous' && field.valid.length) return field.valid.includes(text) ? 'valid' : 'invalid';
  if (field.kind === 'number' && field.intervals.length) {
    const x = convert(value, 'number') as number;
    return field.intervals.some((i) => inInterval(x, i)) ? 'valid' : 'invalid';
  }
  return 'valid';
}
