/** NeuralNetwork: feed-forward layers with PMML's activation functions and output mappings. */
import { canonical } from '../fields.js';
import { compileExpression, denormalize, expressionChild, readLinearNorm, type Expr } from '../expressions.js';
import { attr, children, invalid, numAttr, onlyChildren, required, requiredAttr, unsupported, type El } from '../xml.js';
import { argmax, COMMON_CHILDREN, fillNaN, type CompiledModel, type ModelContext } from './common.js';
import { softmax } from './links.js';

const ACTIVATIONS: Record<string, (z: number, threshold: number) => number> = {
  threshold: (z, t) => (z > t ? 1 : 0),
  logistic: (z) => 1 / (1 + Math.exp(-z)),
  tanh: Math.tanh,
  identity: (z) => z,
  exponential: Math.exp,
  reciprocal: (z) => 1 / z,
  square: (z) => z * z,
  Gauss: (z) => Math.exp(-(z * z)),
  sine: Math.sin,
  cosine: Math.cos,
  Elliott: (z) => z / (1 + Math.abs(z)),
  arctan: (z) => (2 * Math.atan(z)) / Math.PI,
  rectifier: (z) => Math.max(0, z),
};

interface Neuron {
  bias: number;
  from: Int32Array;
  weights: Float64Array;
  width: number;
  altitude: number;
}

interface Layer {
  neurons: Neuron[];
  /** Where this layer's outputs go in the value array. */
  offset: number;
  activation: string;
  threshold: number;
  normalization: string;
}

export function compileNeuralNetwork(el: El, ctx: ModelContext): CompiledModel['evaluate'] {
  onlyChildren(el, [...COMMON_CHILDREN, 'NeuralInputs', 'NeuralLayer', 'NeuralOutputs']);
  const netActivation = requiredAttr(el, 'activationFunction');
  const netNormalization = attr(el, 'normalizationMethod') ?? 'none';
  const netThreshold = numAttr(el, 'threshold', 0);
  const netWidth = numAttr(el, 'width', NaN);
  const netAltitude = numAttr(el, 'altitude', 1);

  const index = new Map<string, number>();
  const inputs: Expr[] = children(required(el, 'NeuralInputs'), 'NeuralInput').map((input, i) => {
    index.set(requiredAttr(input, 'id'), i);
    return compileExpression(expressionChild(required(input, 'DerivedField')), ctx.scope, ctx.functions);
  });
  let size = inputs.length;
  const layers: Layer[] = children(el, 'NeuralLayer').map((layerEl) => {
    const activation = attr(layerEl, 'activationFunction') ?? netActivation;
    if (activation !== 'radialBasis' && !ACTIVATIONS[activation]) throw unsupported(`activationFunction="${activation}"`);
    const normalization = attr(layerEl, 'normalizationMethod') ?? netNormalization;
    if (!['none', 'softmax', 'simplemax'].includes(normalization)) throw unsupported(`NeuralLayer normalizationMethod="${normalization}"`);
    const neuronEls = children(layerEl, 'Neuron');
    const neurons = neuronEls.map((n) => {
      const cons = children(n, 'Con');
      return {
        bias: numAttr(n, 'bias', 0),
        from: Int32Array.from(cons, (c) => {
          const i = index.get(requiredAttr(c, 'from'));
          if (i === undefined) throw invalid(`Con from="${c.attrs.from}" names no earlier neuron or input`);
          return i;
        }),
        weights: Float64Array.from(cons, (c) => numAttr(c, 'weight')!),
        width: numAttr(n, 'width', numAttr(layerEl, 'width', netWidth)),
        altitude: numAttr(n, 'altitude', numAttr(layerEl, 'altitude', netAltitude)),
      };
    });
    const offset = size;
    neuronEls.forEach((n, i) => index.set(requiredAttr(n, 'id'), offset + i));
    size += neurons.length;
    return { neurons, offset, activation, threshold: numAttr(layerEl, 'threshold', netThreshold), normalization };
  });
  if (!layers.length) throw invalid('NeuralNetwork has no NeuralLayer');
  const values = new Float64Array(size);

  const forward = (row: Parameters<Expr>[0]): boolean => {
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i]!(row);
      if (v === null) return false;
      values[i] = Number(v);
    }
    for (const layer of layers) {
      const f = ACTIVATIONS[layer.activation];
      layer.neurons.forEach((n, j) => {
        let out: number;
        if (f) {
          let z = n.bias;
          for (let c = 0; c < n.from.length; c++) z += n.weights[c]! * values[n.from[c]!]!;
          out = f(z, layer.threshold);
        } else {
          // radialBasis: the weights are the centre.
          if (!(n.width > 0)) throw invalid('radialBasis neurons need a width');
          let z = 0;
          for (let c = 0; c < n.from.length; c++) z += (values[n.from[c]!]! - n.weights[c]!) ** 2;
          out = Math.exp(n.from.length * Math.log(n.altitude) - z / (2 * n.width * n.width));
        }
        values[layer.offset + j] = out;
      });
      const outputs = values.subarray(layer.offset, layer.offset + layer.neurons.length);
      if (layer.normalization === 'softmax') softmax(outputs, outputs.length);
      else if (layer.normalization === 'simplemax') {
        const sum = outputs.reduce((a, b) => a + b, 0);
        for (let j = 0; j < outputs.length; j++) outputs[j]! /= sum;
      }
    }
    return true;
  };

  const outputs = children(required(el, 'NeuralOutputs'), 'NeuralOutput').map((o) => {
    const neuron = index.get(requiredAttr(o, 'outputNeuron'));
    if (neuron === undefined) throw invalid(`NeuralOutput outputNeuron="${o.attrs.outputNeuron}" is not a neuron`);
    return { neuron, expression: expressionChild(required(o, 'DerivedField')) };
  });

  if (ctx.kind === 'regression') {
    const out = outputs[0];
    if (!out || outputs.length !== 1) throw unsupported('regression NeuralNetworks with other than one NeuralOutput');
    const e = out.expression;
    let map: (y: number) => number | null;
    if (e.name === 'FieldRef') map = (y) => y;
    else if (e.name === 'NormContinuous') {
      const norm = readLinearNorm(e);
      map = (y) => denormalize(y, norm);
    } else throw unsupported(`a regression NeuralOutput mapped through <${e.name}>`);
    return (row) => {
      if (!forward(row)) return NaN;
      return map(values[out.neuron]!) ?? NaN;
    };
  }
  if (ctx.kind !== 'classification') throw unsupported(`NeuralNetwork with functionName="${ctx.kind}"`);
  const mapped = outputs.map((o) => {
    if (o.expression.name !== 'NormDiscrete') throw unsupported(`a classification NeuralOutput mapped through <${o.expression.name}>`);
    return { neuron: o.neuron, cls: ctx.classes.index(canonical(requiredAttr(o.expression, 'value'), ctx.classes.kind)!) };
  });
  if (!mapped.length) throw invalid('NeuralOutputs is empty');
  return (row, probs) => {
    const n = ctx.classes.labels.length;
    if (!forward(row)) {
      fillNaN(probs, n);
      return -1;
    }
    probs.fill(0, 0, n);
    for (const m of mapped) probs[m.cls] = values[m.neuron]!;
    return argmax(probs, n);
  };
}
