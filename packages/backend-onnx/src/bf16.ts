/**
 * bfloat16 graph inputs and outputs, which onnxruntime-node cannot load ("Unsupported data type:
 * 16": its JS API has no bfloat16 tensor). The model is rewritten so each bfloat16 input X becomes
 * a float32 input X__wacs_fp32 feeding `Cast(to=BFLOAT16) → X`, and each bfloat16 output Y gets
 * `Cast(to=FLOAT) → Y__wacs_fp32` as the graph output. Every bfloat16 value is exactly a float32, so
 * both casts are exact. The rewrite splices the protobuf: initializers are copied, not decoded.
 */
import { proto } from '@wacs/onnxruntime';

const { fields, ProtoWriter, varints, text } = proto;
type Field = proto.Field;
type ProtoWriter = proto.ProtoWriter;

const BFLOAT16 = 16;
const FLOAT = 1;
const PROXY_SUFFIX = '__wacs_fp32';

/** ONNX protobuf field numbers used here. */
const F = {
  modelGraph: 7,
  graphNode: 1,
  graphInitializer: 5,
  graphInput: 11,
  graphOutput: 12,
  valueInfoName: 1,
  valueInfoType: 2,
  typeTensor: 1,
  tensorElemType: 1,
  tensorShape: 2,
  nodeInput: 1,
  nodeOutput: 2,
  nodeName: 3,
  nodeOpType: 4,
  nodeAttribute: 5,
  attrName: 1,
  attrInt: 3,
  attrType: 20,
  initializerName: 8,
} as const;
const ATTRIBUTE_INT = 2;

export interface Bf16Proxies {
  /** The rewritten model. */
  model: Uint8Array;
  /** Model input name → the float32 input fed in its place. */
  inputs: Map<string, string>;
  /** Model output name → the float32 output read in its place. */
  outputs: Map<string, string>;
}

/** A tensor ValueInfo's name, element type and encoded shape; undefined for other kinds. */
function tensorInfo(valueInfo: Uint8Array): { name: string; elemType: number; shape?: Uint8Array } | undefined {
  let name = '';
  let elemType: number | undefined;
  let shape: Uint8Array | undefined;
  for (const f of fields(valueInfo)) {
    if (f.number === F.valueInfoName) name = text(f);
    if (f.number !== F.valueInfoType || !f.bytes) continue;
    for (const t of fields(f.bytes)) {
      if (t.number !== F.typeTensor || !t.bytes) continue;
      for (const e of fields(t.bytes)) {
        if (e.number === F.tensorElemType) elemType = Number(varints(e)[0]);
        if (e.number === F.tensorShape) shape = e.bytes;
      }
    }
  }
  return elemType === undefined ? undefined : { name, elemType, shape };
}

function floatValueInfo(name: string, shape: Uint8Array | undefined): Uint8Array {
  const tensor = new ProtoWriter().varint(F.tensorElemType, FLOAT);
  if (shape) tensor.bytes(F.tensorShape, shape);
  const type = new ProtoWriter().bytes(F.typeTensor, tensor.finish()).finish();
  return new ProtoWriter().string(F.valueInfoName, name).bytes(F.valueInfoType, type).finish();
}

function castNode(input: string, output: string, to: number): Uint8Array {
  const attribute = new ProtoWriter().string(F.attrName, 'to').varint(F.attrInt, to).varint(F.attrType, ATTRIBUTE_INT).finish();
  return new ProtoWriter()
    .string(F.nodeInput, input)
    .string(F.nodeOutput, output)
    .string(F.nodeName, `wacs_cast_${output}`)
    .string(F.nodeOpType, 'Cast')
    .bytes(F.nodeAttribute, attribute)
    .finish();
}

function rewriteGraph(graph: Uint8Array, proxies: Bf16Proxies): Uint8Array {
  const all = [...fields(graph)];
  const initializers = new Set<string>();
  for (const f of all) {
    if (f.number !== F.graphInitializer || !f.bytes) continue;
    for (const g of fields(f.bytes)) if (g.number === F.initializerName) initializers.add(text(g));
  }
  const out = new ProtoWriter();
  const inputCasts: Uint8Array[] = [];
  const outputCasts: Uint8Array[] = [];
  const rewritten = all.map((f: Field): ((w: ProtoWriter) => void) => {
    const info = (f.number === F.graphInput || f.number === F.graphOutput) && f.bytes ? tensorInfo(f.bytes) : undefined;
    // An input that is also an initializer is a default the guest may override; it stays as it is.
    if (!info || info.elemType !== BFLOAT16 || (f.number === F.graphInput && initializers.has(info.name))) {
      return (w) => w.raw(graph.subarray(f.start, f.end));
    }
    const proxy = `${info.name}${PROXY_SUFFIX}`;
    if (f.number === F.graphInput) {
      proxies.inputs.set(info.name, proxy);
      inputCasts.push(castNode(proxy, info.name, BFLOAT16));
    } else {
      proxies.outputs.set(info.name, proxy);
      outputCasts.push(castNode(info.name, proxy, FLOAT));
    }
    return (w) => w.bytes(f.number, floatValueInfo(proxy, info.shape));
  });
  // Nodes must stay in topological order: input casts before the first node, output casts last.
  let castsWritten = false;
  all.forEach((f, i) => {
    if (f.number === F.graphNode && !castsWritten) {
      for (const node of inputCasts) out.bytes(F.graphNode, node);
      castsWritten = true;
    }
    rewritten[i]!(out);
  });
  if (!castsWritten) for (const node of inputCasts) out.bytes(F.graphNode, node);
  for (const node of outputCasts) out.bytes(F.graphNode, node);
  return out.finish();
}

/** The model with float32 proxies for its bfloat16 inputs and outputs; undefined if it has none. */
export function proxyBf16(model: Uint8Array): Bf16Proxies | undefined {
  const proxies: Bf16Proxies = { model, inputs: new Map(), outputs: new Map() };
  const out = new ProtoWriter();
  for (const f of fields(model)) {
    if (f.number === F.modelGraph && f.bytes) out.bytes(F.modelGraph, rewriteGraph(f.bytes, proxies));
    else out.raw(model.subarray(f.start, f.end));
  }
  if (!proxies.inputs.size && !proxies.outputs.size) return undefined;
  proxies.model = out.finish();
  return proxies;
}
