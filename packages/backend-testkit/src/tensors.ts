/** Output checks: well-formed named tensors, and comparison against expected tensors. */
import { bf16ToFloat, ELEMENT_SIZE, halfToFloat, TENSOR_TYPES, tensorView, type NamedTensor, type Tensor, type TensorType } from '@wacs/core/backend';
import type { Tolerance } from './types.js';

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-5 };

const FLOAT_TYPES: ReadonlySet<TensorType> = new Set(['FP16', 'FP32', 'FP64', 'BF16']);

/**
 * What is wrong with a compute's result as wasi:nn outputs: an array of uniquely named tensors
 * of a known type whose byte length is the product of the dimensions times the element size.
 * Rank 0 is allowed (a scalar, one element). Returns no problems when the result is fine.
 */
export function outputProblems(outputs: unknown): string[] {
  if (!Array.isArray(outputs)) return [`compute must resolve to an array of named tensors, got ${describeValue(outputs)}`];
  const problems: string[] = [];
  const seen = new Set<string>();
  outputs.forEach((output: unknown, index) => {
    const where = `output ${index}`;
    if (!output || typeof output !== 'object') return void problems.push(`${where} is ${describeValue(output)}, not { name, tensor }`);
    const { name, tensor } = output as Partial<NamedTensor>;
    if (typeof name !== 'string' || name === '') problems.push(`${where} has no name (a non-empty string)`);
    else if (seen.has(name)) problems.push(`output name "${name}" appears twice`);
    else seen.add(name);
    const label = typeof name === 'string' && name ? `output "${name}"` : where;
    problems.push(...tensorProblems(tensor, label));
  });
  return problems;
}

function tensorProblems(tensor: unknown, label: string): string[] {
  if (!tensor || typeof tensor !== 'object') return [`${label}: tensor is ${describeValue(tensor)}`];
  const { type, dimensions, data } = tensor as Partial<Tensor>;
  const problems: string[] = [];
  if (!(TENSOR_TYPES as readonly unknown[]).includes(type)) problems.push(`${label}: type ${JSON.stringify(type)} is not one of ${TENSOR_TYPES.join(', ')}`);
  const dimsOk = Array.isArray(dimensions) && dimensions.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff);
  if (!dimsOk) problems.push(`${label}: dimensions must be an array of u32 integers, got ${JSON.stringify(dimensions)}`);
  if (!(data instanceof Uint8Array)) problems.push(`${label}: data must be a Uint8Array, got ${describeValue(data)}`);
  if (problems.length === 0) {
    const expected = dimensions!.reduce((n, d) => n * d, 1) * ELEMENT_SIZE[type!];
    if (data!.byteLength !== expected) {
      problems.push(`${label}: [${dimensions!.join(', ')}] ${type} needs ${expected} bytes, but data has ${data!.byteLength}`);
    }
  }
  return problems;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Element values as numbers (FP16/BF16 widened) or bigints (I64). */
function elements(tensor: Tensor): ArrayLike<number | bigint> {
  const view = tensorView(tensor);
  if (tensor.type === 'FP16') return Array.from(view as Uint16Array, halfToFloat);
  if (tensor.type === 'BF16') return Array.from(view as Uint16Array, bf16ToFloat);
  return view as ArrayLike<number | bigint>;
}

function close(actual: number, expected: number, tolerance: Tolerance): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= tolerance.atol + tolerance.rtol * Math.abs(expected);
}

/** Why `actual` differs from `expected` (same type and dimensions; floats within tolerance), or undefined. */
export function tensorMismatch(label: string, actual: Tensor, expected: Tensor, tolerance: Tolerance = DEFAULT_TOLERANCE): string | undefined {
  if (actual.type !== expected.type) return `${label}: type ${actual.type}, expected ${expected.type}`;
  const dims = (t: Tensor) => `[${t.dimensions.join(', ')}]`;
  if (dims(actual) !== dims(expected)) return `${label}: dimensions ${dims(actual)}, expected ${dims(expected)}`;
  const a = elements(actual);
  const e = elements(expected);
  const float = FLOAT_TYPES.has(actual.type);
  for (let i = 0; i < e.length; i++) {
    const same = float ? close(a[i] as number, e[i] as number, tolerance) : a[i] === e[i];
    if (!same) return `${label}: element ${i} is ${String(a[i])}, expected ${String(e[i])}${float ? ` (rtol ${tolerance.rtol}, atol ${tolerance.atol})` : ''}`;
  }
  return undefined;
}

/**
 * Why `actual` outputs differ from `expected` ones, matched by name, or undefined. With
 * `sameNames`, `actual` must also have no outputs beyond the expected ones.
 */
export function outputsMismatch(actual: NamedTensor[], expected: NamedTensor[], tolerance: Tolerance = DEFAULT_TOLERANCE, sameNames = false): string | undefined {
  const names = actual.map((o) => o.name);
  for (const { name, tensor } of expected) {
    const found = actual.find((o) => o.name === name);
    if (!found) return `no output "${name}"; outputs: ${names.join(', ') || '(none)'}`;
    const mismatch = tensorMismatch(`output "${name}"`, found.tensor, tensor, tolerance);
    if (mismatch) return mismatch;
  }
  if (sameNames) {
    const extra = names.filter((n) => !expected.some((o) => o.name === n));
    if (extra.length) return `unexpected output(s) ${extra.join(', ')}; expected ${expected.map((o) => o.name).join(', ')}`;
  }
  return undefined;
}

/** Fresh copies of inputs, so a backend that consumes or changes its inputs cannot spoil the next compute. */
export function copyInputs(inputs: NamedTensor[]): NamedTensor[] {
  return inputs.map(({ name, tensor }) => ({ name, tensor: { type: tensor.type, dimensions: [...tensor.dimensions], data: tensor.data.slice() } }));
}
