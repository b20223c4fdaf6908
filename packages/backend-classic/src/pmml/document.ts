/**
 * A PMML document compiled for scoring: DataDictionary, TransformationDictionary and the first
 * model element, turned into closures and flat arrays once; `predict` then runs rows through them.
 */
import { NnError } from '@wacs/core/backend';
import type { ContractInputs, MetadataValue, Prediction } from '../contract.js';
import { readDataDictionary, Row, Scope, SlotTable, type DataField, type Value } from './fields.js';
import { defineDerivedFields, Functions } from './expressions.js';
import { bindNestedSchema, INPUT_USAGES, inputTreatment, readMiningSchema, targetName } from './mining.js';
import { applyTargets, checkScorable, ClassList, functionKind, type CompiledModel, type ModelContext } from './models/common.js';
import { compileClustering } from './models/clustering.js';
import { compileGeneralRegression } from './models/general-regression.js';
import { compileMining, MODEL_ELEMENTS, OTHER_MODELS } from './models/mining.js';
import { compileNaiveBayes } from './models/naive-bayes.js';
import { compileNeuralNetwork } from './models/neural-network.js';
import { compileRegression } from './models/regression.js';
import { compileSvm } from './models/svm.js';
import { compileTree } from './models/tree.js';
import { child, children, invalid, onlyChildren, parseXml, required, unsupported, type El } from './xml.js';

const COMPILERS: Record<string, (el: El, ctx: ModelContext) => CompiledModel['evaluate']> = {
  TreeModel: compileTree,
  MiningModel: compileMining,
  RegressionModel: compileRegression,
  GeneralRegressionModel: compileGeneralRegression,
  NeuralNetwork: compileNeuralNetwork,
  ClusteringModel: compileClustering,
  SupportVectorMachineModel: compileSvm,
  NaiveBayesModel: compileNaiveBayes,
};

const TOP_LEVEL = ['Header', 'MiningBuildTask', 'DataDictionary', 'TransformationDictionary'];

interface Env {
  data: Map<string, DataField>;
  functions: Functions;
}

function compileModel(el: El, parent: Scope, env: Env, nested: boolean, inheritedTarget: string | undefined): CompiledModel {
  const compiler = COMPILERS[el.name];
  if (!compiler) throw unsupported(`the model type <${el.name}>`);
  checkScorable(el);
  const kind = functionKind(el);
  const schema = readMiningSchema(required(el, 'MiningSchema'));
  const scope = parent.child();
  if (nested) bindNestedSchema(schema, scope);
  const local = child(el, 'LocalTransformations');
  if (local) {
    onlyChildren(local, ['DerivedField']);
    defineDerivedFields(children(local, 'DerivedField'), scope, env.functions);
  }
  const target = targetName(schema) ?? inheritedTarget;
  const targetField = target === undefined ? undefined : env.data.get(target);
  const declared = kind === 'classification' && targetField && targetField.optype !== 'continuous' ? targetField.valid : [];
  const classes = new ClassList(kind === 'clustering' ? 'string' : (targetField?.kind ?? 'string'), declared);
  const ctx: ModelContext = {
    scope,
    functions: env.functions,
    data: env.data,
    kind,
    ...(target === undefined ? {} : { target }),
    classes,
    compileNested: (nestedEl, nestedScope, nestedTarget) => compileModel(nestedEl, nestedScope, env, true, nestedTarget),
  };
  const evaluate = compiler(el, ctx);
  if (kind === 'classification' && classes.labels.length === 0) throw invalid(`<${el.name}> names no classes`);
  return applyTargets(child(el, 'Targets'), { kind, classes: classes.labels, evaluate }, target);
}

export interface PmmlModel {
  kind: CompiledModel['kind'];
  classes: string[];
  /** Input fields in feature order. */
  inputs: string[];
  predict(inputs: ContractInputs): Prediction;
}

export function compilePmml(xml: string, featureOrder?: string[]): PmmlModel {
  const root = parseXml(xml);
  const version = root.attrs.version ?? '';
  if (!/^4\./.test(version)) throw unsupported(`PMML version "${version}" (4.x is)`);
  for (const c of root.children) {
    if (TOP_LEVEL.includes(c.name) || c.name === 'Extension' || MODEL_ELEMENTS.includes(c.name)) continue;
    throw unsupported(OTHER_MODELS.includes(c.name) ? `the model type <${c.name}>` : `<${c.name}> in <PMML>`);
  }
  // PMML scores with the first model of a document.
  const modelEl = root.children.find((c) => MODEL_ELEMENTS.includes(c.name));
  if (!modelEl) throw invalid('the document has no model element');

  const data = readDataDictionary(required(root, 'DataDictionary'));
  const table = new SlotTable();
  const scope = new Scope(table);
  for (const d of data.values()) scope.bind(table.add(d.name, d.kind, d.optype));
  const functions = new Functions();
  const transformations = child(root, 'TransformationDictionary');
  if (transformations) {
    onlyChildren(transformations, ['DerivedField', 'DefineFunction']);
    functions.declare(children(transformations, 'DefineFunction'));
    defineDerivedFields(children(transformations, 'DerivedField'), scope, functions);
  }

  const schema = readMiningSchema(required(modelEl, 'MiningSchema'));
  const model = compileModel(modelEl, scope, { data, functions }, false, undefined);
  const target = targetName(schema);
  const active = schema.filter((f) => INPUT_USAGES.has(f.usage) && f.name !== target);
  const inputs = featureOrder ?? active.map((f) => f.name);
  const bindings = inputs.map((name) => {
    const mf = active.find((f) => f.name === name);
    if (!mf) throw new NnError('invalid-argument', `feature "${name}" is not an active field of the model; its inputs: ${active.map((f) => f.name).join(', ')}`);
    const d = data.get(name);
    if (!d) throw invalid(`MiningField "${name}" is not in the DataDictionary`);
    return { name, field: scope.lookup(name), treat: inputTreatment(d, mf) };
  });
  if (featureOrder) {
    const left = active.filter((f) => !featureOrder.includes(f.name)).map((f) => f.name);
    if (left.length) throw new NnError('invalid-argument', `option "features" leaves out active field(s): ${left.join(', ')}`);
  }

  return {
    kind: model.kind,
    classes: model.classes,
    inputs,
    predict(given) {
      const fromMetadata = bindings.map((b) => given.metadata.get(b.name));
      for (const name of given.metadata.keys()) {
        if (!inputs.includes(name)) throw new NnError('invalid-argument', `metadata names "${name}", which is not an input of the model; its inputs: ${inputs.join(', ')}`);
      }
      // The features tensor carries every input that metadata does not, in feature order.
      const columns: number[] = bindings.map((_, i) => (fromMetadata[i] ? -1 : 0));
      let next = 0;
      for (let i = 0; i < columns.length; i++) if (columns[i] === 0) columns[i] = next++;
      const features = given.features;
      if (next > 0 && !features) {
        throw new NnError('invalid-argument', `missing "features": FP32/FP64 [N, ${next}] with ${bindings.filter((_, i) => columns[i]! >= 0).map((b) => b.name).join(', ')}`);
      }
      if (features && features.columns !== next) {
        throw new NnError('invalid-argument', `the features have ${features.columns} columns but the model takes ${next}: ${bindings.filter((_, i) => columns[i]! >= 0).map((b) => b.name).join(', ')}`);
      }
      const rows = given.rows;
      const row = new Row(table);
      const probs = new Float64Array(Math.max(1, model.classes.length));
      const c = model.classes.length;
      const out = new Float32Array(model.kind === 'classification' ? rows * c : model.kind === 'regression' ? rows : 0);
      const indices = new Int32Array(model.kind === 'regression' ? 0 : rows);
      for (let r = 0; r < rows; r++) {
        row.next(r);
        for (let i = 0; i < bindings.length; i++) {
          const b = bindings[i]!;
          const column = columns[i]!;
          let raw: Value;
          if (column < 0) raw = metadataValue(fromMetadata[i]![r]);
          else {
            const x = features!.data[r * next + column]!;
            raw = x !== x ? null : x;
          }
          row.store(b.field, b.treat(raw, r));
        }
        const result = model.evaluate(row, probs);
        if (model.kind === 'regression') out[r] = result;
        else {
          indices[r] = result;
          if (model.kind === 'classification') for (let k = 0; k < c; k++) out[r * c + k] = probs[k]!;
        }
      }
      if (model.kind === 'regression') return { kind: 'regression', values: out };
      if (model.kind === 'clustering') return { kind: 'clustering', classes: model.classes, clusters: indices };
      return { kind: 'classification', classes: model.classes, labels: indices, probabilities: out };
    },
  };
}

function metadataValue(v: MetadataValue | undefined): Value {
  return v === undefined ? null : v;
}
