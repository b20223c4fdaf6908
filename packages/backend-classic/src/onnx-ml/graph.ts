/**
 * Reading the parts of an ONNX-ML model that decide how its outputs map onto the tensor contract,
 * and rewriting `ZipMap` away: ZipMap turns a probability tensor into a sequence of maps, which
 * onnxruntime-node cannot return and wasi:nn tensors cannot carry, so the graph outputs the tensor
 * it was given instead and the class labels it held become the `classes` output.
 */
import * as proto from '@wacs/onnxruntime/proto';

const { ProtoWriter, fields, text, varints } = proto;
type Field = proto.Field;

export const ML_DOMAIN = 'ai.onnx.ml';

/** Operators of the ai.onnx.ml domain, for recognising a node whose domain lies past a probe's bytes. */
const ML_OPS = new Set([
  'ArrayFeatureExtractor', 'Binarizer', 'CastMap', 'CategoryMapper', 'DictVectorizer', 'FeatureVectorizer',
  'Imputer', 'LabelEncoder', 'LinearClassifier', 'LinearRegressor', 'Normalizer', 'OneHotEncoder',
  'SVMClassifier', 'SVMRegressor', 'Scaler', 'TreeEnsemble', 'TreeEnsembleClassifier', 'TreeEnsembleRegressor', 'ZipMap',
]);

/** Nodes whose class-label attribute fixes the class order of the probabilities. */
const CLASSIFIER_LABELS: Record<string, { ints: string; strings: string }> = {
  TreeEnsembleClassifier: { ints: 'classlabels_int64s', strings: 'classlabels_strings' },
  LinearClassifier: { ints: 'classlabels_ints', strings: 'classlabels_strings' },
  SVMClassifier: { ints: 'classlabels_ints', strings: 'classlabels_strings' },
  ZipMap: { ints: 'classlabels_int64s', strings: 'classlabels_strings' },
};

export const REGRESSOR_OPS = new Set(['TreeEnsembleRegressor', 'LinearRegressor', 'SVMRegressor', 'TreeEnsemble']);

export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Class labels, when the node is a classifier or ZipMap. */
  classes?: Array<string | number>;
  /** The encoded NodeProto, for copying it unchanged. */
  raw: Uint8Array;
}

export interface OnnxModelInfo {
  opsetDomains: string[];
  nodes: OnnxNode[];
  outputs: string[];
}

/** Repeated int64 attribute values, packed or not (ONNX int64s may be negative). */
function readInts(attr: Field[], field: number): number[] {
  return attr.filter((f) => f.number === field).flatMap((f) => varints(f).map((v) => Number(BigInt.asIntN(64, v))));
}

export function readNode(bytes: Uint8Array, raw: Uint8Array, tolerant: boolean): OnnxNode {
  const node: OnnxNode = { opType: '', domain: '', inputs: [], outputs: [], raw };
  const attributes: Field[][] = [];
  for (const f of fields(bytes, tolerant)) {
    if (f.number === 1) node.inputs.push(text(f));
    else if (f.number === 2) node.outputs.push(text(f));
    else if (f.number === 4) node.opType = text(f);
    else if (f.number === 7) node.domain = text(f);
    else if (f.number === 5 && !f.truncated) attributes.push([...fields(f.bytes!)]);
  }
  const labels = CLASSIFIER_LABELS[node.opType];
  if (labels) {
    for (const attr of attributes) {
      const name = text(attr.find((f) => f.number === 1));
      if (name === labels.strings) node.classes = attr.filter((f) => f.number === 9).map((f) => text(f));
      else if (name === labels.ints) node.classes = readInts(attr, 8);
    }
  }
  return node;
}

/**
 * Reads the model. With `tolerant` it reads what a prefix of the file holds (for detection);
 * otherwise the whole model must be well formed.
 */
export function readModel(bytes: Uint8Array, tolerant = false): OnnxModelInfo {
  const info: OnnxModelInfo = { opsetDomains: [], nodes: [], outputs: [] };
  for (const f of fields(bytes, tolerant)) {
    if (f.number === 8 && !f.truncated) {
      for (const g of fields(f.bytes!)) if (g.number === 1) info.opsetDomains.push(text(g));
    } else if (f.number === 7 && f.bytes) {
      for (const g of fields(f.bytes, tolerant)) {
        if (g.number === 1 && g.bytes) info.nodes.push(readNode(g.bytes, g.raw, tolerant || g.truncated === true));
        else if (g.number === 12 && !g.truncated) {
          const name = [...fields(g.bytes!)].find((h) => h.number === 1);
          if (name) info.outputs.push(text(name));
        }
      }
    }
  }
  return info;
}

/**
 * Whether these bytes (a whole model, or its first bytes) are an ONNX-ML model: a node in the
 * ai.onnx.ml domain, or, where a node's domain lies past the bytes read, an ai.onnx.ml operator name.
 */
export function isOnnxMl(bytes: Uint8Array, complete: boolean): boolean {
  let info: OnnxModelInfo;
  try {
    info = readModel(bytes, !complete);
  } catch {
    return false;
  }
  return info.nodes.some((n) => n.domain === ML_DOMAIN || (!complete && n.domain === '' && ML_OPS.has(n.opType)));
}

/** Empty ValueInfoProto type: a float tensor of unknown shape (ZipMap only takes float). */
function floatTensorValueInfo(name: string): Uint8Array {
  const tensorType = new ProtoWriter().varint(1, 1).finish();
  const type = new ProtoWriter().bytes(1, tensorType).finish();
  return new ProtoWriter().string(1, name).bytes(2, type).finish();
}

/**
 * Removes every ZipMap whose output is a graph output, and makes its input the graph output in its
 * place. Returns undefined when the model has no ZipMap.
 */
export function removeZipMaps(bytes: Uint8Array, info: OnnxModelInfo): Uint8Array | undefined {
  const zipMaps = info.nodes.filter((n) => n.opType === 'ZipMap');
  if (!zipMaps.length) return undefined;
  /** Graph output name → the tensor that replaces it (the ZipMap's input). */
  const replaced = new Map<string, string>();
  for (const z of zipMaps) {
    const out = z.outputs[0]!;
    if (!info.outputs.includes(out) || info.nodes.some((n) => n.inputs.includes(out))) {
      throw new Error(`the ZipMap producing "${out}" feeds other nodes; only a ZipMap at the end of the graph can be flattened`);
    }
    replaced.set(out, z.inputs[0]!);
  }
  const model = new ProtoWriter();
  for (const f of fields(bytes)) {
    if (f.number !== 7) {
      model.raw(f.raw);
      continue;
    }
    const graph = new ProtoWriter();
    for (const g of fields(f.bytes!)) {
      if (g.number === 1 && zipMaps.some((z) => z.raw.byteOffset === g.raw.byteOffset)) continue;
      if (g.number === 12) {
        const name = text([...fields(g.bytes!)].find((h) => h.number === 1));
        const input = replaced.get(name);
        if (input !== undefined) {
          // The tensor may already be a graph output of its own: keep one copy.
          if (!info.outputs.includes(input)) graph.bytes(12, floatTensorValueInfo(input));
          continue;
        }
      }
      graph.raw(g.raw);
    }
    model.bytes(7, graph.finish());
  }
  return model.finish();
}
