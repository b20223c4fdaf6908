/** Running models through the backend in-process, and reading the contract's outputs back. */
import { jsonTensor, tensorFrom, tensorText, tensorView, type NamedTensor, type Options } from '@wacs/core/backend';
import backend from '../src/index.js';

export interface Outputs {
  label?: Array<string | number | null>;
  probabilities?: number[][];
  value?: number[];
  cluster?: number[];
  classes?: Array<string | number>;
  other: Map<string, NamedTensor>;
}

export function features(rows: number[][], type: 'FP32' | 'FP64' = 'FP64'): NamedTensor {
  const columns = rows[0]?.length ?? 0;
  const flat = rows.flat();
  return { name: 'features', tensor: tensorFrom(type, [rows.length, columns], type === 'FP32' ? Float32Array.from(flat) : Float64Array.from(flat)) };
}

export function metadata(value: Record<string, unknown>): NamedTensor {
  return { name: 'metadata', tensor: jsonTensor(value) };
}

export function decode(outputs: NamedTensor[]): Outputs {
  const out: Outputs = { other: new Map() };
  for (const { name, tensor } of outputs) {
    if (name === 'label') {
      out.label = tensor.type === 'U8' ? (JSON.parse(tensorText(tensor)) as Array<string | null>) : Array.from(tensorView(tensor) as BigInt64Array, Number);
    } else if (name === 'probabilities') {
      const v = Array.from(tensorView(tensor) as Float32Array);
      const c = tensor.dimensions[1]!;
      out.probabilities = Array.from({ length: tensor.dimensions[0]! }, (_, r) => v.slice(r * c, (r + 1) * c));
    } else if (name === 'value') out.value = Array.from(tensorView(tensor) as Float32Array);
    else if (name === 'cluster') out.cluster = Array.from(tensorView(tensor) as BigInt64Array, Number);
    else if (name === 'classes') out.classes = JSON.parse(tensorText(tensor)) as Array<string | number>;
    else out.other.set(name, { name, tensor });
  }
  return out;
}

/** Loads a model (bytes, or a path) with the classic backend and computes once. */
export async function run(model: Uint8Array | string, inputs: NamedTensor[], options: Options = {}): Promise<Outputs> {
  const graph = await backend.load({
    source: typeof model === 'string' ? { kind: 'path', path: model } : { kind: 'bytes', builders: [model] },
    encoding: 'autodetect',
    target: 'auto',
    options,
  });
  try {
    const context = await graph.createContext();
    return decode(await context.compute(inputs));
  } finally {
    await graph.dispose();
  }
}

/** PMML text → bytes. */
export function pmml(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A PMML document around a model element, with continuous double inputs and an optional target. */
export function doc(fields: string, model: string): Uint8Array {
  return pmml(`<?xml version="1.0"?>\n<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header/><DataDictionary>${fields}</DataDictionary>${model}</PMML>`);
}

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function softmax(z: number[]): number[] {
  const e = z.map((v) => Math.exp(v - Math.max(...z)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
