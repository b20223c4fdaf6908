/** Inverse link functions shared by RegressionModel and GeneralRegressionModel. */
import { normalCdf } from '../functions.js';
import { unsupported } from '../xml.js';

export type Link = (y: number) => number;

export const INVERSE_LINKS: Record<string, Link> = {
  logit: (y) => 1 / (1 + Math.exp(-y)),
  probit: normalCdf,
  cloglog: (y) => 1 - Math.exp(-Math.exp(y)),
  loglog: (y) => Math.exp(-Math.exp(-y)),
  cauchit: (y) => 0.5 + Math.atan(y) / Math.PI,
};

export function inverseLink(name: string, context: string): Link {
  const f = INVERSE_LINKS[name];
  if (!f) throw unsupported(`${context} "${name}"`);
  return f;
}

/** Softmax in place over the first n entries (shifted by the maximum, so large scores do not overflow). */
export function softmax(values: Float64Array, n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, values[i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    values[i] = Math.exp(values[i]! - max);
    sum += values[i]!;
  }
  for (let i = 0; i < n; i++) values[i]! /= sum;
}

/** Cumulative link probabilities for ordinal targets: F(y1), F(y2)−F(y1), …, 1−F(yK−1). */
export function cumulative(values: Float64Array, n: number, f: Link): void {
  let previous = 0;
  for (let i = 0; i < n - 1; i++) {
    const c = f(values[i]!);
    values[i] = c - previous;
    previous = c;
  }
  values[n - 1] = 1 - previous;
}
