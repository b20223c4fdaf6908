/**
 * SupportVectorMachineModel: linear, polynomial, RBF and sigmoid kernels over support vectors (or
 * linear coefficients); regression, one-against-all and one-against-one classification. SVMs
 * give no probabilities: `probabilities` carries the vote shares (one-against-one) or a one-hot
 * row for the winner (one-against-all).
 */
import { canonical, type Field, type Row } from '../fields.js';
import { arrayChild, arrayValues, attr, child, children, invalid, numAttr, onlyChildren, parseNumber, required, requiredAttr, unsupported, type El } from '../xml.js';
import { argmax, COMMON_CHILDREN, fillNaN, type CompiledModel, type ModelContext } from './common.js';

const KERNELS = ['LinearKernelType', 'PolynomialKernelType', 'RadialBasisKernelType', 'SigmoidKernelType'];

type Kernel = (x: Float64Array, y: Float64Array) => number;

function kernel(el: El): Kernel {
  const dot = (x: Float64Array, y: Float64Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return s;
  };
  const gamma = numAttr(el, 'gamma', 1);
  const coef0 = numAttr(el, 'coef0', 1);
  switch (el.name) {
    case 'LinearKernelType':
      return dot;
    case 'PolynomialKernelType': {
      const degree = numAttr(el, 'degree', 1);
      return (x, y) => Math.pow(gamma * dot(x, y) + coef0, degree);
    }
    case 'RadialBasisKernelType':
      return (x, y) => {
        let s = 0;
        for (let i = 0; i < x.length; i++) s += (x[i]! - y[i]!) ** 2;
        return Math.exp(-gamma * s);
      };
    default:
      return (x, y) => Math.tanh(gamma * dot(x, y) + coef0);
  }
}

/** A vector field: a numeric field, or a CategoricalPredictor's indicator of one level. */
interface VectorField {
  field: Field;
  level?: string | null;
  coefficient: number;
}

export function compileSvm(el: El, ctx: ModelContext): CompiledModel['evaluate'] {
  onlyChildren(el, [...COMMON_CHILDREN, ...KERNELS, 'VectorDictionary', 'SupportVectorMachine']);
  const kernelEl = el.children.find((c) => KERNELS.includes(c.name));
  if (!kernelEl) throw invalid('SupportVectorMachineModel needs a kernel type');
  const k = kernel(kernelEl);
  const representation = attr(el, 'svmRepresentation') ?? 'SupportVectors';
  const method = attr(el, 'classificationMethod') ?? 'OneAgainstAll';
  if (!['OneAgainstAll', 'OneAgainstOne'].includes(method)) throw unsupported(`classificationMethod="${method}"`);
  const maxWins = attr(el, 'maxWins') === 'true';
  const modelThreshold = numAttr(el, 'threshold', 0);
  if (attr(el, 'alternateBinaryTargetCategory') !== undefined) throw unsupported('alternateBinaryTargetCategory (PMML 3.x)');

  const dictionary = required(el, 'VectorDictionary');
  const vectorFields: VectorField[] = required(dictionary, 'VectorFields').children
    .filter((c) => c.name !== 'Extension')
    .map((c) => {
      if (c.name === 'FieldRef') return { field: ctx.scope.lookup(requiredAttr(c, 'field')), coefficient: 1 };
      if (c.name === 'CategoricalPredictor') {
        const field = ctx.scope.lookup(requiredAttr(c, 'name'));
        return { field, level: canonical(requiredAttr(c, 'value'), field.kind), coefficient: numAttr(c, 'coefficient', 1) };
      }
      throw unsupported(`<${c.name}> in VectorFields`);
    });
  const n = vectorFields.length;
  const vectors = new Map<string, Float64Array>();
  for (const v of children(dictionary, 'VectorInstance')) {
    const array = arrayChild(v);
    if (!array) throw invalid('a VectorInstance needs an array');
    const values = arrayValues(array).map(parseNumber);
    if (values.length !== n) throw invalid(`VectorInstance "${v.attrs.id}" has ${values.length} values for ${n} vector fields`);
    vectors.set(requiredAttr(v, 'id'), Float64Array.from(values));
  }

  const machines = children(el, 'SupportVectorMachine').map((m) => {
    const coefficientsEl = required(m, 'Coefficients');
    const b = numAttr(coefficientsEl, 'absoluteValue', 0);
    const coefficients = Float64Array.from(children(coefficientsEl, 'Coefficient'), (c) => numAttr(c, 'value', 0));
    let f: (x: Float64Array) => number;
    if (representation === 'Coefficients') {
      if (coefficients.length !== n) throw invalid(`a linear SupportVectorMachine needs ${n} coefficients, has ${coefficients.length}`);
      f = (x) => {
        let s = b;
        for (let i = 0; i < n; i++) s += coefficients[i]! * x[i]!;
        return s;
      };
    } else {
      const ids = children(child(m, 'SupportVectors') ?? m, 'SupportVector').map((s) => requiredAttr(s, 'vectorId'));
      if (ids.length !== coefficients.length) throw invalid(`a SupportVectorMachine has ${ids.length} support vectors but ${coefficients.length} coefficients`);
      const support = ids.map((id) => {
        const v = vectors.get(id);
        if (!v) throw invalid(`SupportVector "${id}" is not in the VectorDictionary`);
        return v;
      });
      f = (x) => {
        let s = b;
        for (let i = 0; i < support.length; i++) s += coefficients[i]! * k(x, support[i]!);
        return s;
      };
    }
    return {
      f,
      threshold: numAttr(m, 'threshold', modelThreshold),
      target: attr(m, 'targetCategory'),
      alternate: attr(m, 'alternateTargetCategory'),
    };
  });
  if (!machines.length) throw invalid('SupportVectorMachineModel has no SupportVectorMachine');

  const x = new Float64Array(n);
  const input = (row: Row): boolean => {
    for (let i = 0; i < n; i++) {
      const vf = vectorFields[i]!;
      const v = row.get(vf.field);
      if (v === null) return false;
      x[i] = vf.level === undefined ? Number(v) : canonical(v, vf.field.kind) === vf.level ? vf.coefficient : 0;
    }
    return true;
  };

  if (ctx.kind === 'regression') {
    if (machines.length !== 1) throw invalid('a regression SVM has one SupportVectorMachine');
    const f = machines[0]!.f;
    return (row) => (input(row) ? f(x) : NaN);
  }
  if (ctx.kind !== 'classification') throw unsupported(`SupportVectorMachineModel with functionName="${ctx.kind}"`);

  const pairwise = method === 'OneAgainstOne' || (machines.length === 1 && machines[0]!.alternate !== undefined);
  const compiled = machines.map((m) => {
    if (m.target === undefined) throw invalid('a classification SupportVectorMachine needs targetCategory');
    if (pairwise && m.alternate === undefined) throw invalid('one-against-one SupportVectorMachines need alternateTargetCategory');
    return { ...m, targetIndex: ctx.classes.index(m.target), alternateIndex: m.alternate === undefined ? -1 : ctx.classes.index(m.alternate) };
  });
  const classCount = () => ctx.classes.labels.length;
  if (pairwise) {
    return (row, probs) => {
      const c = classCount();
      if (!input(row)) {
        fillNaN(probs, c);
        return -1;
      }
      probs.fill(0, 0, c);
      for (const m of compiled) {
        const y = m.f(x);
        // PMML: below the threshold votes for targetCategory (above, with maxWins).
        const forTarget = maxWins ? y > m.threshold : y < m.threshold;
        probs[forTarget ? m.targetIndex : m.alternateIndex]! += 1;
      }
      for (let i = 0; i < c; i++) probs[i]! /= compiled.length;
      return argmax(probs, c);
    };
  }
  return (row, probs) => {
    const c = classCount();
    if (!input(row)) {
      fillNaN(probs, c);
      return -1;
    }
    let best = -1;
    let bestValue = maxWins ? -Infinity : Infinity;
    for (const m of compiled) {
      const y = m.f(x);
      if (maxWins ? y > bestValue : y < bestValue) {
        bestValue = y;
        best = m.targetIndex;
      }
    }
    probs.fill(0, 0, c);
    probs[best] = 1;
    return best;
  };
}
