/**
 * MiningModel / Segmentation: ensembles (random forests, gradient boosting) and model chains.
 * Methods: majorityVote, weightedMajorityVote, average, weightedAverage, sum, weightedSum, median,
 * max, selectFirst, modelChain.
 */
import { canonical, kindOf, type Field, type Row, type Value } from '../fields.js';
import { compileExpression, expressionChild } from '../expressions.js';
import { compilePredicate, OP, predicateChild, TRUE, type Truth } from '../predicates.js';
import { attr, children, invalid, numAttr, onlyChildren, required, unsupported, type El } from '../xml.js';
import { argmax, COMMON_CHILDREN, fillNaN, type CompiledModel, type ModelContext } from './common.js';

export const MODEL_ELEMENTS = [
  'TreeModel', 'MiningModel', 'RegressionModel', 'GeneralRegressionModel', 'NeuralNetwork',
  'ClusteringModel', 'SupportVectorMachineModel', 'NaiveBayesModel',
];
export const OTHER_MODELS = [
  'AnomalyDetectionModel', 'AssociationModel', 'BayesianNetworkModel', 'BaselineModel', 'GaussianProcessModel',
  'NearestNeighborModel', 'RuleSetModel', 'Scorecard', 'SequenceModel', 'TextModel', 'TimeSeriesModel',
];

interface Segment {
  weight: number;
  /** Undefined when the predicate is <True/>. */
  test?: (row: Row) => Truth;
  model: CompiledModel;
  scratch: Float64Array;
  /** Segment class index → this model's class index. */
  classMap: Int32Array;
  /** Output fields a model chain passes on to later segments. */
  outputs: Array<(row: Row, result: number) => void>;
}

const CLASSIFICATION_METHODS = new Set(['majorityVote', 'weightedMajorityVote', 'average', 'weightedAverage', 'selectFirst', 'modelChain']);
const REGRESSION_METHODS = new Set(['average', 'weightedAverage', 'sum', 'weightedSum', 'median', 'max', 'selectFirst', 'modelChain']);
const CLUSTERING_METHODS = new Set(['selectFirst', 'modelChain']);

/** Output fields of a chained segment, stored in the mining model's scope for the segments after it. */
function segmentOutputs(outputEl: El | undefined, model: CompiledModel, scratch: Float64Array, ctx: ModelContext): Segment['outputs'] {
  if (!outputEl) return [];
  const writers: Segment['outputs'] = [];
  for (const o of children(outputEl, 'OutputField')) {
    const name = attr(o, 'name');
    if (!name) throw invalid('<OutputField> without a name');
    const feature = attr(o, 'feature') ?? 'predictedValue';
    const defaultKind = feature === 'probability' || model.kind === 'regression' ? 'number' : 'string';
    const kind = attr(o, 'dataType') ? kindOf(attr(o, 'dataType'), `output field "${name}"`) : defaultKind;
    const field: Field = ctx.scope.table.add(name, kind, kind === 'number' ? 'continuous' : 'categorical');
    let compute: (row: Row, result: number) => Value;
    switch (feature) {
      case 'predictedValue':
      case 'predictedDisplayValue':
      case 'entityId':
      case 'clusterId':
        compute = (_row, result) => (model.kind === 'regression' ? (result === result ? result : null) : result < 0 ? null : model.classes[result]!);
        break;
      case 'probability': {
        const valueText = attr(o, 'value');
        const index = valueText === undefined ? -1 : model.classes.indexOf(canonical(valueText, ctx.classes.kind)!);
        if (valueText !== undefined && index < 0) throw invalid(`OutputField "${name}": "${valueText}" is not a class of the segment`);
        // The segment leaves its probabilities in its scratch buffer.
        compute = (_row, result) => (result < 0 ? null : scratch[index < 0 ? result : index]!);
        break;
      }
      case 'transformedValue':
      case 'decision': {
        const expression = compileExpression(expressionChild(o), ctx.scope, ctx.functions);
        compute = (row) => expression(row);
        break;
      }
      default:
        throw unsupported(`OutputField feature="${feature}" in a model chain`);
    }
    ctx.scope.bind(field);
    writers.push((row, result) => row.store(field, compute(row, result)));
  }
  return writers;
}

export function compileMining(el: El, ctx: ModelContext): CompiledModel['evaluate'] {
  onlyChildren(el, [...COMMON_CHILDREN, 'Segmentation']);
  const segmentation = required(el, 'Segmentation');
  onlyChildren(segmentation, ['Segment', 'LocalTransformations']);
  if (children(segmentation, 'LocalTransformations').length) throw unsupported('<LocalTransformations> inside <Segmentation>');
  const method = attr(segmentation, 'multipleModelMethod') ?? '';
  const allowed = ctx.kind === 'classification' ? CLASSIFICATION_METHODS : ctx.kind === 'regression' ? REGRESSION_METHODS : CLUSTERING_METHODS;
  if (!allowed.has(method)) throw unsupported(`multipleModelMethod="${method}" for ${ctx.kind}`);
  const missingTreatment = attr(segmentation, 'missingPredictionTreatment') ?? 'continue';
  if (!['returnMissing', 'skipSegment', 'continue'].includes(missingTreatment)) throw unsupported(`missingPredictionTreatment="${missingTreatment}"`);
  const missingThreshold = numAttr(segmentation, 'missingThreshold', 1);
  const chain = method === 'modelChain';

  const segments: Segment[] = children(segmentation, 'Segment').map((s) => {
    onlyChildren(s, ['SimplePredicate', 'CompoundPredicate', 'SimpleSetPredicate', 'True', 'False', ...MODEL_ELEMENTS, ...OTHER_MODELS]);
    const modelEl = s.children.find((c) => MODEL_ELEMENTS.includes(c.name));
    const other = s.children.find((c) => OTHER_MODELS.includes(c.name));
    if (other) throw unsupported(`the model type <${other.name}>`);
    if (!modelEl) throw invalid('<Segment> without a model');
    const predicate = compilePredicate(predicateChild(s), ctx.scope);
    const model = ctx.compileNested(modelEl, ctx.scope, ctx.target);
    if (model.kind !== ctx.kind && !(chain && s !== children(segmentation, 'Segment').at(-1))) {
      throw invalid(`a ${model.kind} segment inside a ${ctx.kind} MiningModel (${method})`);
    }
    const scratch = new Float64Array(Math.max(1, model.classes.length));
    const outputs = chain ? segmentOutputs(children(modelEl, 'Output')[0], model, scratch, ctx) : [];
    const classMap = Int32Array.from(
      model.kind === ctx.kind && ctx.kind !== 'regression' ? model.classes : [],
      (label) => ctx.classes.index(label),
    );
    return {
      weight: numAttr(s, 'weight', 1),
      ...(predicate.flat?.op === OP.TRUE ? {} : { test: predicate.test }),
      model,
      scratch,
      classMap,
      outputs,
    };
  });
  if (!segments.length) throw invalid('<Segmentation> has no segments');
  const classCount = ctx.classes.labels.length;
  const weighted = method.startsWith('weighted');
  const skipMissing = missingTreatment !== 'returnMissing';
  const none = ctx.kind === 'regression' ? NaN : -1;

  if (method === 'selectFirst' || chain) {
    return (row, probs) => {
      let result = none;
      let fired: Segment | undefined;
      for (const s of segments) {
        if (s.test && s.test(row) !== TRUE) {
          if (chain) for (const w of s.outputs) w(row, s.model.kind === 'regression' ? NaN : -1);
          continue;
        }
        result = s.model.evaluate(row, s.scratch);
        fired = s;
        if (chain) for (const w of s.outputs) w(row, result);
        else break;
      }
      return finish(fired, result, probs);
    };
  }

  /** Maps a segment's result onto this model's classes. */
  function finish(s: Segment | undefined, result: number, probs: Float64Array): number {
    if (ctx.kind === 'regression') return s ? result : NaN;
    if (!s || result < 0) {
      fillNaN(probs, classCount);
      return -1;
    }
    if (ctx.kind === 'clustering') return s.classMap[result]!;
    probs.fill(0, 0, classCount);
    for (let k = 0; k < s.classMap.length; k++) probs[s.classMap[k]!] = s.scratch[k]!;
    return s.classMap[result]!;
  }

  /** Applies the missing-prediction rules once all segments ran. */
  const tooManyMissing = (missing: number, evaluated: number) =>
    missingTreatment === 'continue' && evaluated > 0 && missing / evaluated > missingThreshold;

  if (ctx.kind === 'classification') {
    const vote = method === 'majorityVote' || method === 'weightedMajorityVote';
    return (row, probs) => {
      probs.fill(0, 0, classCount);
      let total = 0;
      let missing = 0;
      let evaluated = 0;
      for (let i = 0; i < segments.length; i++) {
        const s = segments[i]!;
        if (s.test && s.test(row) !== TRUE) continue;
        evaluated++;
        const k = s.model.evaluate(row, s.scratch);
        if (k < 0) {
          if (!skipMissing) return missingResult(probs);
          missing++;
          continue;
        }
        const w = weighted ? s.weight : 1;
        total += w;
        if (vote) probs[s.classMap[k]!]! += w;
        else for (let j = 0; j < s.classMap.length; j++) probs[s.classMap[j]!]! += w * s.scratch[j]!;
      }
      if (total === 0 || tooManyMissing(missing, evaluated)) return missingResult(probs);
      for (let j = 0; j < classCount; j++) probs[j]! /= total;
      return argmax(probs, classCount);
    };
  }

  function missingResult(probs: Float64Array): number {
    fillNaN(probs, classCount);
    return -1;
  }

  // Regression.
  const values = new Float64Array(segments.length);
  return (row) => {
    let count = 0;
    let total = 0;
    let weights = 0;
    let missing = 0;
    let evaluated = 0;
    for (const s of segments) {
      if (s.test && s.test(row) !== TRUE) continue;
      evaluated++;
      const y = s.model.evaluate(row, s.scratch);
      if (y !== y) {
        if (!skipMissing) return NaN;
        missing++;
        continue;
      }
      values[count++] = y;
      const w = weighted ? s.weight : 1;
      total += w * y;
      weights += w;
    }
    if (count === 0 || tooManyMissing(missing, evaluated)) return NaN;
    switch (method) {
      case 'sum':
      case 'weightedSum':
        return total;
      case 'average':
      case 'weightedAverage':
        return total / weights;
      case 'max': {
        let m = -Infinity;
        for (let i = 0; i < count; i++) m = Math.max(m, values[i]!);
        return m;
      }
      default: {
        const sorted = Array.from(values.subarray(0, count)).sort((a, b) => a - b);
        const mid = count >> 1;
        return count % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      }
    }
  };
}
