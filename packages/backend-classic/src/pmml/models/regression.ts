/** RegressionModel: linear regression and logistic/softmax (and other link) classification. */
import type { Row } from '../fields.js';
import { canonical } from '../fields.js';
import { attr, children, invalid, numAttr, onlyChildren, requiredAttr, unsupported, type El } from '../xml.js';
import { argmax, COMMON_CHILDREN, fillNaN, type CompiledModel, type ModelContext } from './common.js';
import { INVERSE_LINKS, cumulative, inverseLink, softmax } from './links.js';

type Table = (row: Row) => number;

function compileTable(el: El, ctx: ModelContext): Table {
  onlyChildren(el, ['NumericPredictor', 'CategoricalPredictor', 'PredictorTerm']);
  const intercept = numAttr(el, 'intercept', 0);
  const numeric = children(el, 'NumericPredictor').map((p) => ({
    field: ctx.scope.lookup(requiredAttr(p, 'name')),
    exponent: numAttr(p, 'exponent', 1),
    coefficient: numAttr(p, 'coefficient')!,
  }));
  const categorical = children(el, 'CategoricalPredictor').map((p) => {
    const field = ctx.scope.lookup(requiredAttr(p, 'name'));
    return { field, value: canonical(requiredAttr(p, 'value'), field.kind), coefficient: numAttr(p, 'coefficient')! };
  });
  const terms = children(el, 'PredictorTerm').map((t) => ({
    fields: children(t, 'FieldRef').map((f) => ctx.scope.lookup(requiredAttr(f, 'field'))),
    coefficient: numAttr(t, 'coefficient')!,
  }));
  return (row) => {
    let y = intercept;
    for (const p of numeric) {
      const v = row.get(p.field);
      if (v === null) return NaN;
      y += p.coefficient * (p.exponent === 1 ? Number(v) : Math.pow(Number(v), p.exponent));
    }
    // A missing categorical value contributes nothing (PMML: the field is ignored).
    for (const p of categorical) {
      const v = row.get(p.field);
      if (v !== null && canonical(v, p.field.kind) === p.value) y += p.coefficient;
    }
    for (const t of terms) {
      let product = t.coefficient;
      for (const f of t.fields) {
        const v = row.get(f);
        if (v === null) return NaN;
        product *= Number(v);
      }
      y += product;
    }
    return y;
  };
}

export function compileRegression(el: El, ctx: ModelContext): CompiledModel['evaluate'] {
  onlyChildren(el, [...COMMON_CHILDREN, 'RegressionTable']);
  const method = attr(el, 'normalizationMethod') ?? 'none';
  const tableEls = children(el, 'RegressionTable');
  const tables = tableEls.map((t) => compileTable(t, ctx));
  if (!tables.length) throw invalid('RegressionModel has no RegressionTable');

  if (ctx.kind === 'regression') {
    if (tables.length !== 1) throw invalid('a regression RegressionModel has exactly one RegressionTable');
    const table = tables[0]!;
    if (method === 'none') return table;
    const f = method === 'exp' ? Math.exp : method === 'softmax' ? INVERSE_LINKS.logit! : inverseLink(method, 'regression normalizationMethod');
    return (row) => f(table(row));
  }
  if (ctx.kind !== 'classification') throw unsupported(`RegressionModel with functionName="${ctx.kind}"`);

  // Table order is the order the normalisation works in; classIndex maps it onto the class list.
  const classIndex = Int32Array.from(tableEls, (t) => ctx.classes.index(requiredAttr(t, 'targetCategory')));
  const k = tables.length;
  if (k < 2) throw invalid('a classification RegressionModel needs a RegressionTable per class');
  const ordinal = ctx.target !== undefined && ctx.data.get(ctx.target)?.optype === 'ordinal';
  const none = (y: number) => Math.min(1, Math.max(0, y));
  let normalize: (v: Float64Array) => void;
  if (ordinal) {
    if (method === 'softmax' || method === 'simplemax' || method === 'exp') throw invalid(`normalizationMethod="${method}" for an ordinal target`);
    const f = method === 'none' ? none : inverseLink(method, 'normalizationMethod');
    normalize = (v) => cumulative(v, k, f);
  } else if (method === 'softmax') normalize = (v) => softmax(v, k);
  else if (method === 'simplemax') {
    normalize = (v) => {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += v[i]!;
      for (let i = 0; i < k; i++) v[i]! /= sum;
    };
  } else if (k === 2 && (method === 'none' || INVERSE_LINKS[method])) {
    const f = method === 'none' ? none : INVERSE_LINKS[method]!;
    normalize = (v) => {
      v[0] = f(v[0]!);
      v[1] = 1 - v[0]!;
    };
  } else if (method === 'none') {
    normalize = (v) => {
      let sum = 0;
      for (let i = 0; i < k - 1; i++) sum += v[i]!;
      v[k - 1] = 1 - sum;
    };
  } else throw unsupported(`normalizationMethod="${method}" with ${k} classes`);

  const scores = new Float64Array(k);
  const classCount = () => ctx.classes.labels.length;
  return (row, probs) => {
    const n = classCount();
    for (let i = 0; i < k; i++) {
      const y = tables[i]!(row);
      if (y !== y) {
        fillNaN(probs, n);
        return -1;
      }
      scores[i] = y;
    }
    normalize(scores);
    probs.fill(0, 0, n);
    for (let i = 0; i < k; i++) probs[classIndex[i]!] = scores[i]!;
    return argmax(probs, n);
  };
}
