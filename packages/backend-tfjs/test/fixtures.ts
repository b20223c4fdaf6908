/**
 * Models made in code for the tests: tiny hand-written graph models (model.json in the
 * tensorflowjs_converter layout, weights split over shards), and helpers to call the backend.
 */
import type { NamedTensor, Tensor, TensorType } from '@wacs/core/backend';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tfjsBackend, type TfjsGraph } from '../src/index.js';

type Dtype = 'float32' | 'int32' | 'bool';
const TF_DTYPE: Record<Dtype, string> = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' };

export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

const shapeAttr = (dims: number[]) => ({ shape: { dim: dims.map((size) => ({ size: String(size) })) } });

export function placeholder(name: string, dtype: Dtype, dims: number[]): GraphNode {
  return { name, op: 'Placeholder', attr: { dtype: { type: TF_DTYPE[dtype] }, shape: shapeAttr(dims) } };
}

/** A Const node; its value comes from the weight of the same name. */
export function constant(name: string, dtype: Dtype, dims: number[]): GraphNode {
  return { name, op: 'Const', attr: { dtype: { type: TF_DTYPE[dtype] }, value: { tensor: { dtype: TF_DTYPE[dtype], tensorShape: shapeAttr(dims).shape } } } };
}

export function op(name: string, kind: string, input: string[], dtype: Dtype, attr: Record<string, unknown> = {}): GraphNode {
  return { name, op: kind, input, attr: { T: { type: TF_DTYPE[dtype] }, ...attr } };
}

export interface Weight {
  name: string;
  dtype: Dtype;
  dims: number[];
  values: number[];
}

/** Writes a graph model's model.json and its weights, split over `shards` files like the converter does. */
export async function writeGraphModel(folder: string, nodes: GraphNode[], weights: Weight[], shards = 1): Promise<string> {
  await mkdir(folder, { recursive: true });
  const bytes = Buffer.concat(weights.map((w) => Buffer.from((w.dtype === 'int32' ? Int32Array.from(w.values) : Float32Array.from(w.values)).buffer)));
  const paths: string[] = [];
  const size = Math.ceil(bytes.length / shards);
  for (let i = 0; i < shards; i++) {
    const path = `group1-shard${i + 1}of${shards}.bin`;
    await writeFile(join(folder, path), bytes.subarray(i * size, (i + 1) * size));
    paths.push(path);
  }
  const json = {
    format: 'graph-model',
    generatedBy: 'hand-written test fixture',
    convertedBy: null,
    modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
    weightsManifest: [{ paths, weights: weights.map(({ name, dtype, dims }) => ({ name, dtype, shape: dims })) }],
  };
  await writeFile(join(folder, 'model.json'), JSON.stringify(json));
  return folder;
}

/** y = relu(x·W + b) for x float32 [N,2], and n2 = n·n for n int32 [N]. */
export const AFFINE_W = [1, -1, 0.5, 2, 0, -3];
export const AFFINE_B = [0.1, 0.2, 0.3];
export function affineGraph(folder: string, shards = 2): Promise<string> {
  return writeGraphModel(
    folder,
    [
      placeholder('x', 'float32', [-1, 2]),
      placeholder('n', 'int32', [-1]),
      constant('w', 'float32', [2, 3]),
      constant('b', 'float32', [3]),
      op('mm', 'MatMul', ['x', 'w'], 'float32', { transpose_a: { b: false }, transpose_b: { b: false } }),
      op('add', 'AddV2', ['mm', 'b'], 'float32'),
      op('y', 'Relu', ['add'], 'float32'),
      op('n2', 'Mul', ['n', 'n'], 'int32'),
    ],
    [
      { name: 'w', dtype: 'float32', dims: [2, 3], values: AFFINE_W },
      { name: 'b', dtype: 'float32', dims: [3], values: AFFINE_B },
    ],
    shards,
  );
}

/** The affine graph computed by hand, in float64 then rounded to float32 like the engine's result. */
export function affineByHand(x: number[][]): number[] {
  return x.flatMap(([x0, x1]) => [0, 1, 2].map((j) => Math.fround(Math.max(0, x0! * AFFINE_W[j]! + x1! * AFFINE_W[3 + j]! + AFFINE_B[j]!))));
}

/** positives = Where(x > 0): a dynamic-shape op, so tfjs must run the graph with executeAsync. */
export function whereGraph(folder: string): Promise<string> {
  return writeGraphModel(
    folder,
    [
      placeholder('x', 'float32', [-1]),
      constant('zero', 'float32', []),
      op('positive', 'Greater', ['x', 'zero'], 'float32'),
      op('positives', 'Where', ['positive'], 'bool'),
    ],
    [{ name: 'zero', dtype: 'float32', dims: [], values: [0] }],
  );
}

export function wasiTensor(type: TensorType, dimensions: number[], values: ArrayBufferView): Tensor {
  return { type, dimensions, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export const f32 = (dimensions: number[], values: number[]): Tensor => wasiTensor('FP32', dimensions, Float32Array.from(values));
export const i32 = (dimensions: number[], values: number[]): Tensor => wasiTensor('I32', dimensions, Int32Array.from(values));

export function floats(tensor: Tensor): number[] {
  return Array.from(new Float32Array(tensor.data.slice().buffer));
}

export function ints(tensor: Tensor): number[] {
  return Array.from(new Int32Array(tensor.data.slice().buffer));
}

export async function loadPath(path: string, options: Record<string, string> = {}): Promise<TfjsGraph> {
  return (await tfjsBackend.load({ source: { kind: 'path', path }, encoding: 'tensorflow', target: 'auto', options })) as TfjsGraph;
}

export async function loadBytes(builders: Uint8Array[]): Promise<TfjsGraph> {
  return (await tfjsBackend.load({ source: { kind: 'bytes', builders }, encoding: 'tensorflow', target: 'auto', options: {} })) as TfjsGraph;
}

export async function compute(graph: TfjsGraph, inputs: NamedTensor[]): Promise<NamedTensor[]> {
  const context = graph.createContext();
  try {
    return await context.compute(inputs);
  } finally {
    await context.dispose();
  }
}
