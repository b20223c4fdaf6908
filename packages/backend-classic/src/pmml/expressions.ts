/**
 * Expressions (Constant, FieldRef, NormContinuous, NormDiscrete, Discretize, MapValues, Apply),
 * DerivedFields and DefineFunctions, compiled once into closures over the row state.
 */
import { NnError } from '@wacs/core/backend';
import { canonical, convert, inInterval, kindOf, readInterval, type Field, type FieldKind, type OpType, type Row, type Scope, type Value } from './fields.js';
import { BUILT_INS } from './functions.js';
import { attr, child, children, invalid, numAttr, parseNumber, required, requiredAttr, unsupported, type El } from './xml.js';

export type Expr = (row: Row) => Value;

const EXPRESSIONS = new Set(['Constant', 'FieldRef', 'NormContinuous', 'NormDiscrete', 'Discretize', 'MapValues', 'Apply', 'TextIndex', 'Aggregate', 'Lag']);

interface DefinedFunction {
  params: Field[];
  body: Expr;
}

/** User functions (TransformationDictionary/DefineFunction), shared by every scope of a document. */
export class Functions {
  private readonly defined = new Map<string, DefinedFunction>();
  private readonly pending = new Map<string, El>();

  declare(els: El[]): void {
    for (const el of els) this.pending.set(requiredAttr(el, 'name'), el);
  }

  get(name: string, scope: Scope): DefinedFunction | undefined {
    const done = this.defined.get(name);
    if (done) return done;
    const el = this.pending.get(name);
    if (!el) return undefined;
    this.pending.delete(name);
    // Parameters are slots of their own: a call stores its arguments, then evaluates the body.
    const local = scope.child();
    const params = children(el, 'ParameterField').map((p) => {
      const field = scope.table.add(requiredAttr(p, 'name'), kindOf(attr(p, 'dataType'), `parameter of ${name}`), (attr(p, 'optype') ?? 'continuous') as OpType);
      local.bind(field);
      return field;
    });
    const bodyEl = el.children.find((c) => EXPRESSIONS.has(c.name));
    if (!bodyEl) throw invalid(`DefineFunction "${name}" has no expression`);
    const fn: DefinedFunction = { params, body: compileExpression(bodyEl, local, this) };
    this.defined.set(name, fn);
    return fn;
  }
}

export function expressionChild(el: El): El {
  const e = el.children.find((c) => EXPRESSIONS.has(c.name));
  if (!e) throw invalid(`<${el.name}${el.attrs.name ? ` name="${el.attrs.name}"` : ''}> has no expression`);
  return e;
}

/** A constant in the type its dataType (or else its text) says. */
function constantValue(text: string, dataType: string | undefined): Value {
  if (dataType) return convert(text, kindOf(dataType, `constant "${text}"`)) ?? null;
  const n = parseNumber(text);
  return Number.isNaN(n) ? text : n;
}

function mapMissing(el: El, kind: FieldKind | undefined): Value {
  const v = attr(el, 'mapMissingTo');
  if (v === undefined) return null;
  return kind ? (convert(v, kind) ?? v) : constantValue(v, undefined);
}

function resultKind(el: El): FieldKind | undefined {
  const dataType = attr(el, 'dataType');
  return dataType ? kindOf(dataType, `<${el.name}>`) : undefined;
}

/** A NormContinuous's piecewise-linear map, also inverted for neural network outputs. */
export interface LinearNorm {
  orig: number[];
  norm: number[];
  outliers: string;
}

export function readLinearNorm(el: El): LinearNorm {
  const points = children(el, 'LinearNorm').map((p) => ({ orig: numAttr(p, 'orig')!, norm: numAttr(p, 'norm')! }));
  if (points.length < 2) throw invalid('NormContinuous needs at least two LinearNorm points');
  points.sort((a, b) => a.orig - b.orig);
  const outliers = attr(el, 'outliers') ?? 'asIs';
  if (!['asIs', 'asMissingValues', 'asExtremeValues'].includes(outliers)) throw unsupported(`NormContinuous outliers="${outliers}"`);
  return { orig: points.map((p) => p.orig), norm: points.map((p) => p.norm), outliers };
}

function interpolate(x: number, from: number[], to: number[], outliers: string): number | null {
  const n = from.length;
  if (x < from[0]! || x > from[n - 1]!) {
    if (outliers === 'asMissingValues') return null;
    if (outliers === 'asExtremeValues') return x < from[0]! ? to[0]! : to[n - 1]!;
  }
  let i = 1;
  while (i < n - 1 && x > from[i]!) i++;
  const x0 = from[i - 1]!;
  const x1 = from[i]!;
  return to[i - 1]! + ((x - x0) * (to[i]! - to[i - 1]!)) / (x1 - x0);
}

export function normalize(x: number, n: LinearNorm): number | null {
  return interpolate(x, n.orig, n.norm, n.outliers);
}

export function denormalize(y: number, n: LinearNorm): number | null {
  // Inverse of a monotone map: sort the points by their normalised value.
  const order = n.norm.map((_, i) => i).sort((a, b) => n.norm[a]! - n.norm[b]!);
  return interpolate(y, order.map((i) => n.norm[i]!), order.map((i) => n.orig[i]!), 'asIs');
}

function inlineTable(el: El): Array<Record<string, string>> {
  const table = child(el, 'InlineTable');
  if (!table) {
    if (child(el, 'TableLocator')) throw unsupported('<TableLocator> (external tables)');
    throw invalid(`<${el.name}> needs an <InlineTable>`);
  }
  return children(table, 'row').map((row) => {
    const cells: Record<string, string> = {};
    for (const c of row.children) cells[c.name] = c.text;
    return cells;
  });
}

/** Column names may carry a namespace prefix ("data:input"); cells are read without one. */
function column(name: string): string {
  const colon = name.indexOf(':');
  return colon >= 0 ? name.slice(colon + 1) : name;
}

export function compileExpression(el: El, scope: Scope, functions: Functions): Expr {
  switch (el.name) {
    case 'Constant': {
      const value = attr(el, 'missing') === 'true' ? null : constantValue(el.text, attr(el, 'dataType'));
      return () => value;
    }
    case 'FieldRef': {
      const field = scope.lookup(requiredAttr(el, 'field'));
      const missing = mapMissing(el, field.kind);
      if (missing === null) return (row) => row.get(field);
      return (row) => row.get(field) ?? missing;
    }
    case 'NormContinuous': {
      const field = scope.lookup(requiredAttr(el, 'field'));
      const norm = readLinearNorm(el);
      const missing = mapMissing(el, 'number');
      return (row) => {
        const v = row.get(field);
        return v === null ? missing : normalize(Number(v), norm);
      };
    }
    case 'NormDiscrete': {
      const field = scope.lookup(requiredAttr(el, 'field'));
      const value = canonical(requiredAttr(el, 'value'), field.kind);
      const missing = mapMissing(el, 'number');
      return (row) => {
        const v = row.get(field);
        return v === null ? missing : canonical(v, field.kind) === value ? 1 : 0;
      };
    }
    case 'Discretize': {
      const field = scope.lookup(requiredAttr(el, 'field'));
      const kind = resultKind(el);
      const bins = children(el, 'DiscretizeBin').map((b) => ({
        value: kind ? convert(requiredAttr(b, 'binValue'), kind) ?? null : constantValue(requiredAttr(b, 'binValue'), undefined),
        interval: readInterval(required(b, 'Interval')),
      }));
      const missing = mapMissing(el, kind);
      const fallback = attr(el, 'defaultValue') === undefined ? null : kind ? (convert(attr(el, 'defaultValue')!, kind) ?? null) : constantValue(attr(el, 'defaultValue')!, undefined);
      return (row) => {
        const v = row.get(field);
        if (v === null) return missing;
        const x = Number(v);
        for (const b of bins) if (inInterval(x, b.interval)) return b.value;
        return fallback;
      };
    }
    case 'MapValues': {
      const kind = resultKind(el);
      const pairs = children(el, 'FieldColumnPair').map((p) => ({ field: scope.lookup(requiredAttr(p, 'field')), column: column(requiredAttr(p, 'column')) }));
      const output = column(requiredAttr(el, 'outputColumn'));
      const lookup = new Map<string, Value>();
      for (const r of inlineTable(el)) {
        const key = pairs.map((p) => canonical(r[p.column] ?? '', p.field.kind)).join('\u0000');
        if (!lookup.has(key) && r[output] !== undefined) lookup.set(key, kind ? (convert(r[output]!, kind) ?? null) : constantValue(r[output]!, undefined));
      }
      const missing = mapMissing(el, kind);
      const fallbackText = attr(el, 'defaultValue');
      const fallback = fallbackText === undefined ? null : kind ? (convert(fallbackText, kind) ?? null) : constantValue(fallbackText, undefined);
      return (row) => {
        const parts: string[] = [];
        for (const p of pairs) {
          const v = row.get(p.field);
          if (v === null) return missing;
          parts.push(canonical(v, p.field.kind)!);
        }
        const hit = lookup.get(parts.join('\u0000'));
        return hit === undefined ? fallback : hit;
      };
    }
    case 'Apply':
      return compileApply(el, scope, functions);
    default:
      throw unsupported(`the expression <${el.name}>`);
  }
}

function compileApply(el: El, scope: Scope, functions: Functions): Expr {
  const name = requiredAttr(el, 'function');
  const args = el.children.filter((c) => EXPRESSIONS.has(c.name)).map((c) => compileExpression(c, scope, functions));
  const missing = mapMissing(el, undefined);
  const fallbackText = attr(el, 'defaultValue');
  const fallback = fallbackText === undefined ? null : constantValue(fallbackText, undefined);
  const invalidTreatment = attr(el, 'invalidValueTreatment') ?? 'returnInvalid';
  if (!['returnInvalid', 'asIs', 'asMissing'].includes(invalidTreatment)) throw unsupported(`Apply invalidValueTreatment="${invalidTreatment}"`);

  const user = functions.get(name, scope);
  if (user) {
    if (args.length !== user.params.length) throw invalid(`function "${name}" takes ${user.params.length} arguments, got ${args.length}`);
    return (row) => {
      const values = args.map((a) => a(row));
      if (values.some((v) => v === null) && missing !== null) return missing;
      user.params.forEach((p, i) => row.store(p, values[i]!));
      const result = user.body(row);
      return result === null ? fallback : result;
    };
  }
  const builtIn = BUILT_INS[name];
  if (!builtIn) throw unsupported(`the function "${name}" in <Apply>`);
  if (args.length < builtIn.min || args.length > builtIn.max) {
    throw invalid(`function "${name}" takes ${builtIn.min === builtIn.max ? builtIn.min : `${builtIn.min}..${builtIn.max}`} arguments, got ${args.length}`);
  }
  return (row) => {
    const values = new Array<Value>(args.length);
    for (let i = 0; i < args.length; i++) {
      const v = args[i]!(row);
      if (v === null && !builtIn.handlesMissing) return missing;
      values[i] = v;
    }
    const result = builtIn.call(values);
    if (typeof result === 'number' && !Number.isFinite(result)) {
      // Division by zero, log of a negative number…: an invalid result.
      if (invalidTreatment === 'asMissing') return fallback;
      if (invalidTreatment === 'returnInvalid') {
        throw new NnError('invalid-argument', `row ${row.index}: ${name}(${values.map(String).join(', ')}) has no valid result (Apply invalidValueTreatment="returnInvalid")`);
      }
    }
    return result === null ? fallback : result;
  };
}

/**
 * DerivedFields (TransformationDictionary, LocalTransformations): each becomes a slot computed on
 * first use in a row. All are declared before any is compiled, so they may refer to each other in
 * any order.
 */
export function defineDerivedFields(els: El[], scope: Scope, functions: Functions): void {
  const pending: Array<{ field: Field; el: El }> = [];
  for (const el of els) {
    const name = requiredAttr(el, 'name');
    const kind = kindOf(attr(el, 'dataType'), `derived field "${name}"`);
    const optype = (attr(el, 'optype') ?? (kind === 'number' ? 'continuous' : 'categorical')) as OpType;
    const field = scope.table.add(name, kind, optype, () => {
      throw new Error(`derived field "${name}" used before it was compiled`);
    });
    const values = children(el, 'Value').map((v) => canonical(v.attrs.value ?? '', kind)!);
    if (values.length) field.values = values;
    scope.bind(field);
    pending.push({ field, el });
  }
  for (const { field, el } of pending) field.compute = compileExpression(expressionChild(el), scope, functions);
}
