/**
 * The tensor contract every classic model follows, whatever its format:
 *
 * inputs   `features` (or "0"): FP32 or FP64 [N, F], one row per example, columns in feature order.
 *          `metadata` (or a U8 "1"): optional JSON `{ "<field>": [v0, …, vN-1] | v }` giving
 *          categorical/string (or any) features by name; a scalar applies to every row.
 * outputs  `label` [N]: I64 when every class label is an integer, else U8 JSON array of strings
 *          (a row without a prediction gives -1 / null); `probabilities` FP32 [N, C] in `classes`
 *          order; `value` FP32 [N] for regressors; `cluster` I64 [N] (index into `classes`) for
 *          clustering; `classes` U8 JSON array of the class labels (or cluster ids).
 */
import { NnError, jsonTensor, tensorFrom, tensorJson, tensorView, type NamedTensor, type Tensor } from '@wacs/core/backend';

export type MetadataValue = string | number | boolean | null;

export interface ContractInputs {
  rows: number;
  /** Row-major features, `columns` per row (FP32 widened to FP64). */
  features?: { data: Float64Array; columns: number; tensor: Tensor };
  /** Columns by field name, one value per row. */
  metadata: Map<string, MetadataValue[]>;
  /** Inputs under other names (ONNX models take their own input names too). */
  other: NamedTensor[];
}

function isMetadata(name: string, tensor: Tensor): boolean {
  return name === 'metadata' || (name === '1' && tensor.type === 'U8');
}

/** Splits and checks a compute's inputs; `rows` comes from the features or else the metadata. */
export function readInputs(inputs: NamedTensor[]): ContractInputs {
  let features: ContractInputs['features'];
  let metadataTensor: Tensor | undefined;
  const other: NamedTensor[] = [];
  for (const { name, tensor } of inputs) {
    if (name === 'features' || name === '0') {
      if (tensor.type !== 'FP32' && tensor.type !== 'FP64') {
        throw new NnError('invalid-argument', `input "${name}" must be FP32 or FP64 [N, F], got ${tensor.type}`);
      }
      if (tensor.dimensions.length > 2) {
        throw new NnError('invalid-argument', `input "${name}" must be [N, F] (or [F] for one row), got [${tensor.dimensions.join(', ')}]`);
      }
      const view = tensorView(tensor) as Float32Array | Float64Array;
      const columns = tensor.dimensions.length === 2 ? tensor.dimensions[1]! : tensor.dimensions[0]!;
      features = { data: view instanceof Float64Array ? view : Float64Array.from(view), columns, tensor };
    } else if (isMetadata(name, tensor)) metadataTensor = tensor;
    else other.push({ name, tensor });
  }
  const rowsFromFeatures = features ? (features.tensor.dimensions.length === 2 ? features.tensor.dimensions[0]! : 1) : undefined;
  const metadata = new Map<string, MetadataValue[]>();
  let rows = rowsFromFeatures;
  if (metadataTensor) {
    const json = tensorJson(metadataTensor, 'the metadata input');
    const lengths = Object.values(json).filter(Array.isArray).map((v) => (v as unknown[]).length);
    const rowsFromMetadata = lengths[0];
    if (lengths.some((l) => l !== rowsFromMetadata)) {
      throw new NnError('invalid-argument', `metadata: every array must have one value per row; got lengths ${lengths.join(', ')}`);
    }
    if (rows === undefined) rows = rowsFromMetadata ?? 1;
    else if (rowsFromMetadata !== undefined && rowsFromMetadata !== rows) {
      throw new NnError('invalid-argument', `metadata arrays have ${rowsFromMetadata} values but the features have ${rows} rows`);
    }
    for (const [field, value] of Object.entries(json)) {
      const column = Array.isArray(value) ? value : new Array<unknown>(rows).fill(value);
      for (const v of column) {
        if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          throw new NnError('invalid-argument', `metadata "${field}": values must be strings, numbers, booleans or null`);
        }
      }
      metadata.set(field, column as MetadataValue[]);
    }
  }
  return { rows: rows ?? 0, features, metadata, other };
}

/** Whether class labels can travel as I64 (every label an integer). */
export function integerLabels(classes: ReadonlyArray<string | number>): boolean {
  return classes.every((c) => (typeof c === 'number' ? Number.isInteger(c) : /^-?\d+$/.test(c)));
}

export function classesTensor(classes: ReadonlyArray<string | number>): NamedTensor {
  return { name: 'classes', tensor: jsonTensor(integerLabels(classes) ? classes.map(Number) : classes.map(String)) };
}

/** `label` from class indices (-1: no prediction). */
export function labelTensor(indices: Int32Array, classes: ReadonlyArray<string | number>): NamedTensor {
  if (integerLabels(classes)) {
    const values = classes.map((c) => BigInt(c));
    const out = new BigInt64Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = indices[i]! < 0 ? -1n : values[indices[i]!]!;
    return { name: 'label', tensor: tensorFrom('I64', [indices.length], out) };
  }
  const labels = Array.from(indices, (i) => (i < 0 ? null : String(classes[i])));
  return { name: 'label', tensor: jsonTensor(labels) };
}

export function probabilitiesTensor(probabilities: Float32Array, rows: number, classes: number): NamedTensor {
  return { name: 'probabilities', tensor: tensorFrom('FP32', [rows, classes], probabilities) };
}

export function valueTensor(values: Float32Array): NamedTensor {
  return { name: 'value', tensor: tensorFrom('FP32', [values.length], values) };
}

export function clusterTensor(indices: Int32Array): NamedTensor {
  return { name: 'cluster', tensor: tensorFrom('I64', [indices.length], BigInt64Array.from(indices, (i) => BigInt(i))) };
}

/** What a model in JavaScript (PMML, ml.js) predicts for a batch, before it becomes tensors. */
export type Prediction =
  | { kind: 'classification'; classes: ReadonlyArray<string | number>; labels: Int32Array; probabilities: Float32Array }
  | { kind: 'regression'; values: Float32Array }
  | { kind: 'clustering'; classes: ReadonlyArray<string | number>; clusters: Int32Array };

export function predictionTensors(p: Prediction): NamedTensor[] {
  switch (p.kind) {
    case 'classification':
      return [labelTensor(p.labels, p.classes), probabilitiesTensor(p.probabilities, p.labels.length, p.classes.length), classesTensor(p.classes)];
    case 'regression':
      return [valueTensor(p.values)];
    case 'clustering':
      return [clusterTensor(p.clusters), classesTensor(p.classes)];
  }
}
