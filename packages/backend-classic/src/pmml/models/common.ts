/** What every compiled PMML model provides, and the parts all model elements share. */
import { canonical, type DataField, type FieldKind, type Row, type Scope } from '../fields.js';
import type { Functions } from '../expressions.js';
import { attr, child, children, invalid, numAttr, unsupported, type El } from '../xml.js';

export type ModelKind = 'classification' | 'regression' | 'clustering';

export interface CompiledModel {
  kind: ModelKind;
  /** Classification: class labels in probability order; clustering: cluster ids. Canonical text. */
  classes: string[];
  /**
   * One row. Classification: fills `probs` (classes.length) and returns the class index;
   * regression: returns the value; clustering: returns the cluster index. -1 or NaN: no prediction.
   */
  evaluate(row: Row, probs: Float64Array): number;
}

export interface ModelContext {
  /** The scope the model's own fields are added to (a child of its parent's). */
  scope: Scope;
  functions: Functions;
  data: Map<string, DataField>;
  kind: ModelKind;
  /** The target field, when known. */
  target?: string;
  classes: ClassList;
  /** Compiles a nested model (segments), in a given parent scope. */
  compileNested(el: El, scope: Scope, target: string | undefined): CompiledModel;
}

/** Children every model element may have; each model adds its own. */
export const COMMON_CHILDREN = ['MiningSchema', 'Output', 'ModelStats', 'ModelExplanation', 'Targets', 'LocalTransformations', 'ModelVerification'];

/**
 * The classes of a classifier: fixed by the target's DataField values when it lists them,
 * otherwise gathered from the model in the order they appear.
 */
export class ClassList {
  readonly labels: string[];
  private readonly fixed: boolean;

  constructor(
    readonly kind: FieldKind,
    declared: string[],
  ) {
    this.labels = [...declared];
    this.fixed = declared.length > 0;
  }

  index(label: string): number {
    const c = canonical(label, this.kind)!;
    let i = this.labels.indexOf(c);
    if (i < 0) {
      if (this.fixed) throw invalid(`the class "${label}" is not among the target's declared values (${this.labels.join(', ')})`);
      i = this.labels.push(c) - 1;
    }
    return i;
  }
}

/** Index of the largest probability (first on ties), or -1 when every entry is NaN. */
export function argmax(probs: Float64Array, n: number): number {
  let best = -1;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    if (p > max) {
      max = p;
      best = i;
    }
  }
  return best;
}

export function fillNaN(probs: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) probs[i] = NaN;
}

/**
 * Targets: rescaling, clipping and rounding of a regression result; default values and prior
 * probabilities for rows without a prediction.
 */
export function applyTargets(el: El | undefined, model: CompiledModel, target: string | undefined): CompiledModel {
  if (!el) return model;
  const all = children(el, 'Target');
  const t = all.find((x) => attr(x, 'field') === target) ?? (all.length === 1 ? all[0] : undefined);
  if (!t) return model;
  if (model.kind === 'regression') {
    const min = numAttr(t, 'min', -Infinity);
    const max = numAttr(t, 'max', Infinity);
    const factor = numAttr(t, 'rescaleFactor', 1);
    const constant = numAttr(t, 'rescaleConstant', 0);
    const cast = attr(t, 'castInteger');
    const round = cast === undefined ? undefined : { round: Math.round, ceiling: Math.ceil, floor: Math.floor }[cast];
    if (cast !== undefined && !round) throw unsupported(`Target castInteger="${cast}"`);
    const fallbackEl = children(t, 'TargetValue').find((v) => v.attrs.defaultValue !== undefined);
    const fallback = fallbackEl ? numAttr(fallbackEl, 'defaultValue')! : NaN;
    const inner = model.evaluate;
    return {
      ...model,
      evaluate(row, probs) {
        let y = inner(row, probs);
        if (y !== y) return fallback;
        y = Math.min(Math.max(y, min), max) * factor + constant;
        return round ? round(y) : y;
      },
    };
  }
  if (model.kind === 'classification') {
    const priors = children(t, 'TargetValue').filter((v) => v.attrs.priorProbability !== undefined);
    if (!priors.length) return model;
    const prior = new Float64Array(model.classes.length);
    for (const v of priors) {
      const i = model.classes.indexOf(v.attrs.value ?? '');
      if (i < 0) throw invalid(`TargetValue "${v.attrs.value}" is not a class of the model`);
      prior[i] = numAttr(v, 'priorProbability')!;
    }
    const inner = model.evaluate;
    const winner = argmax(prior, prior.length);
    return {
      ...model,
      evaluate(row, probs) {
        const k = inner(row, probs);
        if (k >= 0) return k;
        probs.set(prior);
        return winner;
      },
    };
  }
  return model;
}

/** A model's declared function, checked against what this evaluator and the contract support. */
export function functionKind(el: El): ModelKind {
  const f = attr(el, 'functionName');
  if (f === 'classification' || f === 'regression' || f === 'clustering') return f;
  throw unsupported(`functionName="${f}" on <${el.name}> (classification, regression and clustering are)`);
}

export function checkScorable(el: El): void {
  if (attr(el, 'isScorable') === 'false') throw invalid(`<${el.name}> is marked isScorable="false"`);
  if (child(el, 'Targets') && children(child(el, 'Targets')!, 'Target').length > 1) {
    throw unsupported(`<Targets> with more than one target on <${el.name}>`);
  }
}
