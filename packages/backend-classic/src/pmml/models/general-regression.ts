/**
 * GeneralRegressionModel: regression, generalLinear, generalizedLinear (with its link function),
 * multinomialLogistic and ordinalMultinomial. Each parameter's regressor is the product of its
 * PPMatrix cells (a covariate raised to a power, or a factor level indicator); a parameter without
 * cells is an intercept.
 */
import { canonical, type Field, type Row } from '../fields.js';
import { attr, child, children, grandchildren, invalid, numAttr, onlyChildren, parseNumber, required, requiredAttr, unsupported, type El } from '../xml.js';
import { argmax, COMMON_CHILDREN, fillNaN, type CompiledModel, type ModelContext } from './common.js';
import { cumulative, inverseLink, softmax, type Link } from './links.js';

interface Cell {
  field: Field;
  factor: boolean;
  /** Factor level (canonical) or covariate exponent. */
  level: string | null;
  exponent: number;
}

function generalizedLink(el: El): Link {
  const name = attr(el, 'linkFunction');
  if (!name) throw invalid('a generalizedLinear GeneralRegressionModel needs linkFunction');
  const p = numAttr(el, 'linkParameter');
  switch (name) {
    case 'identity':
      return (y) => y;
    case 'log':
      return Math.exp;
    case 'power':
      if (p === undefined) throw invalid('linkFunction="power" needs linkParameter');
      return p === 0 ? Math.exp : (y) => Math.pow(y, 1 / p);
    case 'logc':
      return (y) => 1 - Math.exp(y);
    case 'oddspower':
      if (p === undefined) throw invalid('linkFunction="oddspower" needs linkParameter');
      return p === 0 ? (y) => 1 / (1 + Math.exp(-y)) : (y) => 1 / (1 + Math.pow(1 + p * y, -1 / p));
    default:
      return inverseLink(name, 'linkFunction');
  }
}

export function compileGeneralRegression(el: El, ctx: ModelContext): CompiledModel['evaluate'] {
  onlyChildren(el, [...COMMON_CHILDREN, 'ParameterList', 'FactorList', 'CovariateList', 'PPMatrix', 'PCovMatrix', 'ParamMatrix', 'EventValues', 'BaseCumHazardTables']);
  const modelType = requiredAttr(el, 'modelType');
  if (!['regression', 'generalLinear', 'generalizedLinear', 'multinomialLogistic', 'ordinalMultinomial'].includes(modelType)) {
    throw unsupported(`GeneralRegressionModel modelType="${modelType}"`);
  }
  const parameters = children(required(el, 'ParameterList'), 'Parameter').map((p) => requiredAttr(p, 'name'));
  const factors = new Set(grandchildren(el, 'FactorList', 'Predictor').map((p) => requiredAttr(p, 'name')));
  for (const list of ['FactorList', 'CovariateList']) {
    for (const p of grandchildren(el, list, 'Predictor')) {
      if (child(p, 'ContrastMatrix') || attr(p, 'contrastMatrixType')) throw unsupported('contrast matrices on GeneralRegressionModel predictors');
    }
  }
  const cells = new Map<string, Cell[]>(parameters.map((p) => [p, []]));
  for (const c of grandchildren(el, 'PPMatrix', 'PPCell')) {
    if (attr(c, 'targetCategory') !== undefined) throw unsupported('PPCell targetCategory');
    const name = requiredAttr(c, 'predictorName');
    const field = ctx.scope.lookup(name);
    const factor = factors.has(name);
    const value = requiredAttr(c, 'value');
    const list = cells.get(requiredAttr(c, 'parameterName'));
    if (!list) throw invalid(`PPCell names the parameter "${c.attrs.parameterName}", which ParameterList does not declare`);
    list.push({ field, factor, level: factor ? canonical(value, field.kind) : null, exponent: factor ? 1 : parseNumber(value) });
  }
  const paramIndex = new Map(parameters.map((p, i) => [p, i]));
  const cellLists = parameters.map((p) => cells.get(p)!);

  const offsetField = attr(el, 'offsetVariable') ? ctx.scope.lookup(attr(el, 'offsetVariable')!) : undefined;
  const offsetValue = numAttr(el, 'offsetValue', 0);
  const trialsField = attr(el, 'trialsVariable') ? ctx.scope.lookup(attr(el, 'trialsVariable')!) : undefined;
  const trialsValue = numAttr(el, 'trialsValue');

  /** x_p for every parameter, or false when an input is missing. */
  const x = new Float64Array(parameters.length);
  const regressors = (row: Row): boolean => {
    for (let p = 0; p < cellLists.length; p++) {
      let v = 1;
      for (const c of cellLists[p]!) {
        const value = row.get(c.field);
        if (value === null) return false;
        if (c.factor) {
          if (canonical(value, c.field.kind) !== c.level) {
            v = 0;
            break;
          }
        } else v *= c.exponent === 1 ? Number(value) : Math.pow(Number(value), c.exponent);
      }
      x[p] = v;
    }
    return true;
  };
  const offset = (row: Row): number => {
    if (!offsetField) return offsetValue;
    const v = row.get(offsetField);
    return v === null ? NaN : Number(v);
  };

  // ParamMatrix: beta per (target category, parameter); cells without a category are shared.
  const shared = new Float64Array(parameters.length);
  const byCategory = new Map<string, Float64Array>();
  for (const c of children(required(el, 'ParamMatrix'), 'PCell')) {
    const p = paramIndex.get(requiredAttr(c, 'parameterName'));
    if (p === undefined) throw invalid(`PCell names the parameter "${c.attrs.parameterName}", which ParameterList does not declare`);
    const beta = numAttr(c, 'beta')!;
    const category = attr(c, 'targetCategory');
    if (category === undefined) shared[p] = beta;
    else {
      const key = canonical(category, ctx.classes.kind)!;
      if (!byCategory.has(key)) byCategory.set(key, new Float64Array(parameters.length));
      byCategory.get(key)![p] = beta;
    }
  }
  const dot = (beta: Float64Array) => {
    let s = 0;
    for (let p = 0; p < beta.length; p++) s += beta[p]! * x[p]!;
    return s;
  };

  if (ctx.kind === 'regression') {
    if (!['regression', 'generalLinear', 'generalizedLinear'].includes(modelType)) throw invalid(`modelType="${modelType}" is not a regression`);
    const link = modelType === 'generalizedLinear' ? generalizedLink(el) : (y: number) => y;
    return (row) => {
      if (!regressors(row)) return NaN;
      let y = link(dot(shared) + offset(row));
      if (trialsField || trialsValue !== undefined) {
        const t = trialsField ? row.get(trialsField) : trialsValue!;
        if (t === null) return NaN;
        y *= Number(t);
      }
      return y;
    };
  }
  if (ctx.kind !== 'classification') throw unsupported(`GeneralRegressionModel with functionName="${ctx.kind}"`);

  if (modelType === 'multinomialLogistic') {
    const reference = attr(el, 'targetReferenceCategory');
    if (reference !== undefined) ctx.classes.index(reference);
    for (const category of byCategory.keys()) ctx.classes.index(category);
    const n = ctx.classes.labels.length;
    // The reference category (no PCells) has a linear predictor of 0.
    const betas = ctx.classes.labels.map((label) => byCategory.get(label));
    return (row, probs) => {
      if (!regressors(row)) {
        fillNaN(probs, n);
        return -1;
      }
      const o = offset(row);
      for (let k = 0; k < n; k++) probs[k] = betas[k] ? dot(betas[k]!) + o : 0;
      softmax(probs, n);
      return argmax(probs, n);
    };
  }
  if (modelType === 'ordinalMultinomial') {
    const f = inverseLink(attr(el, 'cumulativeLink') ?? '', 'cumulativeLink');
    const n = ctx.classes.labels.length;
    if (n < 2) throw invalid('an ordinalMultinomial model needs the ordered categories of its target in the DataDictionary');
    // Intercepts per category (all but the last), slopes shared.
    const intercepts = ctx.classes.labels.slice(0, n - 1).map((label) => {
      const b = byCategory.get(label);
      if (!b) throw invalid(`ordinalMultinomial: no intercept for the category "${label}"`);
      return b;
    });
    return (row, probs) => {
      if (!regressors(row)) {
        fillNaN(probs, n);
        return -1;
      }
      const common = dot(shared) + offset(row);
      for (let k = 0; k < n - 1; k++) probs[k] = dot(intercepts[k]!) + common;
      cumulative(probs, n, f);
      return argmax(probs, n);
    };
  }
  throw invalid(`modelType="${modelType}" is not a classification model`);
}
