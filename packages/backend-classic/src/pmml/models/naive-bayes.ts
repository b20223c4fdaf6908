/**
 * NaiveBayesModel: class counts times per-input likelihoods (PairCounts for categorical inputs,
 * Gaussian or Poisson TargetValueStats for continuous ones), in log space, normalised at the end.
 * A likelihood of zero (or, for densities, below `threshold`) counts as `threshold`.
 */
import { canonical, kindOf, type FieldKind } from '../fields.js';
import { compileExpression, expressionChild, type Expr } from '../expressions.js';
import { attr, child, children, invalid, numAttr, onlyChildren, required, requiredAttr, unsupported, type El } from '../xml.js';
import { argmax, COMMON_CHILDREN, fillNaN, type CompiledModel, type ModelContext } from './common.js';
import { softmax } from './links.js';

type Likelihood = (x: number) => number;

function logFactorial(n: number): number {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log(i);
  return s;
}

function distribution(stat: El): Likelihood {
  const d = stat.children.find((c) => c.name !== 'Extension');
  switch (d?.name) {
    case 'GaussianDistribution': {
      const mean = numAttr(d, 'mean')!;
      const variance = numAttr(d, 'variance')!;
      if (!(variance > 0)) throw invalid('GaussianDistribution needs a positive variance');
      return (x) => Math.exp(-((x - mean) ** 2) / (2 * variance)) / Math.sqrt(2 * Math.PI * variance);
    }
    case 'PoissonDistribution': {
      const mean = numAttr(d, 'mean')!;
      return (x) => (Number.isInteger(x) && x >= 0 ? Math.exp(-mean + x * Math.log(mean) - logFactorial(x)) : 0);
    }
    default:
      throw unsupported(`the distribution <${d?.name ?? 'none'}> in a NaiveBayesModel`);
  }
}

interface Input {
  read: Expr;
  /** The kind values are compared in (the field's, or the discretising DerivedField's). */
  kind: FieldKind;
  /** Continuous input: likelihood per class (undefined where the class has none). */
  continuous?: Array<Likelihood | undefined>;
  /** Categorical input: raw counts per value, turned into `categorical` once all classes are known. */
  pairs?: Array<{ value: string; counts: Array<{ index: number; count: number }> }>;
  /** Categorical input: canonical value → P(value | class) per class (0: no count). */
  categorical?: Map<string, Float64Array>;
}

export function compileNaiveBayes(el: El, ctx: ModelContext): CompiledModel['evaluate'] {
  onlyChildren(el, [...COMMON_CHILDREN, 'BayesInputs', 'BayesOutput']);
  if (ctx.kind !== 'classification') throw unsupported(`NaiveBayesModel with functionName="${ctx.kind}"`);
  const threshold = numAttr(el, 'threshold');
  if (threshold === undefined) throw invalid('NaiveBayesModel needs the threshold attribute');
  const logThreshold = Math.log(threshold);

  const output = required(el, 'BayesOutput');
  const priors = children(required(output, 'TargetValueCounts'), 'TargetValueCount').map((c) => ({
    index: ctx.classes.index(requiredAttr(c, 'value')),
    count: numAttr(c, 'count')!,
  }));

  const inputs: Input[] = children(required(el, 'BayesInputs'), 'BayesInput').map((b) => {
    onlyChildren(b, ['DerivedField', 'PairCounts', 'TargetValueStats']);
    const field = ctx.scope.lookup(requiredAttr(b, 'fieldName'));
    const derived = child(b, 'DerivedField');
    const read: Expr = derived ? compileExpression(expressionChild(derived), ctx.scope, ctx.functions) : (row) => row.get(field);
    const kind = derived ? kindOf(attr(derived, 'dataType') ?? 'string', 'BayesInput DerivedField') : field.kind;
    const stats = child(b, 'TargetValueStats');
    if (stats) {
      const byClass: Array<Likelihood | undefined> = [];
      for (const s of children(stats, 'TargetValueStat')) byClass[ctx.classes.index(requiredAttr(s, 'value'))] = distribution(s);
      return { read, kind, continuous: byClass };
    }
    const pairs = children(b, 'PairCounts').map((p) => ({
      value: requiredAttr(p, 'value'),
      counts: children(required(p, 'TargetValueCounts'), 'TargetValueCount').map((c) => ({ index: ctx.classes.index(requiredAttr(c, 'value')), count: numAttr(c, 'count')! })),
    }));
    return { read, kind, pairs };
  });

  // The class list is complete now: P(value | class) = count / the class's total over the field's values.
  const n = ctx.classes.labels.length;
  for (const input of inputs) {
    if (!input.pairs) continue;
    const totals = new Float64Array(n);
    for (const p of input.pairs) for (const c of p.counts) totals[c.index]! += c.count;
    input.categorical = new Map();
    for (const p of input.pairs) {
      const probs = new Float64Array(n);
      for (const c of p.counts) probs[c.index] = c.count === 0 ? 0 : c.count / totals[c.index]!;
      input.categorical.set(canonical(p.value, input.kind)!, probs);
    }
  }
  const logPrior = new Float64Array(n).fill(-Infinity);
  for (const p of priors) logPrior[p.index] = Math.log(p.count);

  return (row, probs) => {
    probs.set(logPrior);
    for (const input of inputs) {
      const v = input.read(row);
      if (v === null) continue;
      if (input.continuous) {
        const x = Number(v);
        for (let k = 0; k < n; k++) {
          const f = input.continuous[k];
          if (!f) continue;
          const p = f(x);
          probs[k]! += p < threshold ? logThreshold : Math.log(p);
        }
      } else {
        const table = input.categorical!.get(canonical(v, input.kind)!);
        // A value the model never saw tells nothing about the class.
        if (!table) continue;
        for (let k = 0; k < n; k++) probs[k]! += table[k]! > 0 ? Math.log(table[k]!) : logThreshold;
      }
    }
    if (!probs.subarray(0, n).some(Number.isFinite)) {
      fillNaN(probs, n);
      return -1;
    }
    softmax(probs, n);
    return argmax(probs, n);
  };
}
