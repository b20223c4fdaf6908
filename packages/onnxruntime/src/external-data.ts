/**
 * A model from guest bytes must carry all its weights: ONNX external data names files, which
 * onnxruntime would read from the host (relative to its working directory, or absolute). This
 * finds any tensor stored outside the model, anywhere in it.
 */
import { fields, type Field } from './proto.js';

/** Field numbers of the ONNX messages that can hold tensors (onnx.proto). */
const MODEL = { graph: 7, functions: 25 };
const FUNCTION = { node: 7 };
const GRAPH = { node: 1, initializer: 5, sparseInitializer: 15 };
const NODE = { attribute: 5 };
const ATTRIBUTE = { t: 5, g: 6, tensors: 10, graphs: 11, sparseTensor: 22, sparseTensors: 23 };
const SPARSE = { values: 1, indices: 2 };
const TENSOR = { externalData: 13, dataLocation: 14 };
const EXTERNAL = 1n;

const bytesOf = (f: Field): Uint8Array => f.bytes ?? new Uint8Array();

function tensorIsExternal(tensor: Uint8Array): boolean {
  for (const f of fields(tensor)) {
    if (f.number === TENSOR.externalData) return true;
    if (f.number === TENSOR.dataLocation && f.varint === EXTERNAL) return true;
  }
  return false;
}

function sparseIsExternal(sparse: Uint8Array): boolean {
  for (const f of fields(sparse)) if ((f.number === SPARSE.values || f.number === SPARSE.indices) && tensorIsExternal(bytesOf(f))) return true;
  return false;
}

function nodeIsExternal(node: Uint8Array): boolean {
  for (const f of fields(node)) {
    if (f.number !== NODE.attribute) continue;
    for (const a of fields(bytesOf(f))) {
      if ((a.number === ATTRIBUTE.t || a.number === ATTRIBUTE.tensors) && tensorIsExternal(bytesOf(a))) return true;
      if ((a.number === ATTRIBUTE.g || a.number === ATTRIBUTE.graphs) && graphIsExternal(bytesOf(a))) return true;
      if ((a.number === ATTRIBUTE.sparseTensor || a.number === ATTRIBUTE.sparseTensors) && sparseIsExternal(bytesOf(a))) return true;
    }
  }
  return false;
}

function graphIsExternal(graph: Uint8Array): boolean {
  for (const f of fields(graph)) {
    if (f.number === GRAPH.initializer && tensorIsExternal(bytesOf(f))) return true;
    if (f.number === GRAPH.sparseInitializer && sparseIsExternal(bytesOf(f))) return true;
    if (f.number === GRAPH.node && nodeIsExternal(bytesOf(f))) return true;
  }
  return false;
}

/** Whether any tensor of the model (graphs, subgraphs, attributes, functions) lives in an external file. */
export function usesExternalData(model: Uint8Array): boolean {
  for (const f of fields(model)) {
    if (f.number === MODEL.graph && graphIsExternal(bytesOf(f))) return true;
    if (f.number === MODEL.functions) {
      for (const g of fields(bytesOf(f))) if (g.number === FUNCTION.node && nodeIsExternal(bytesOf(g))) return true;
    }
  }
  return false;
}
