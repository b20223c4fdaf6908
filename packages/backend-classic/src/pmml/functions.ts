/** PMML built-in functions for <Apply> (PMML 4.4 list, dates and times excepted). */
import type { Value } from './fields.js';
import { unsupported } from './xml.js';

export interface BuiltIn {
  min: number;
  max: number;
  /** Whether the function itself handles missing arguments (otherwise a missing argument → missing). */
  handlesMissing?: boolean;
  call(args: Value[]): Value;
}

function num(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v);
  return n;
}

function bool(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return v === 'true';
}

/** Compares numbers as numbers and anything else as text. */
function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = num(a);
  const y = num(b);
  if (Number.isNaN(x) || Number.isNaN(y)) {
    const s = String(a);
    const t = String(b);
    return s < t ? -1 : s > t ? 1 : 0;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

function equal(a: Value, b: Value): boolean {
  return compare(a, b) === 0;
}

const unary = (f: (x: number) => number): BuiltIn => ({ min: 1, max: 1, call: ([x]) => f(num(x!)) });
const binary = (f: (x: number, y: number) => number): BuiltIn => ({ min: 2, max: 2, call: ([x, y]) => f(num(x!), num(y!)) });
const nary = (f: (xs: number[]) => number): BuiltIn => ({ min: 1, max: Infinity, call: (args) => f(args.map(num)) });
const cmp = (f: (c: number) => boolean): BuiltIn => ({ min: 2, max: 2, call: ([a, b]) => f(compare(a!, b!)) });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The error function, from the Numerical Recipes erfc approximation (fractional error < 1.2e-7). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Inverse standard normal CDF (Acklam's algorithm, relative error < 1.2e-9). */
export function normalIdf(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalIdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Round half to even (PMML's rint). */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** printf-style formatNumber for the patterns producers write (%d, %f, %.Nf, %e, %s, with widths). */
function formatNumber(x: number, pattern: string): string {
  return pattern.replace(/%([-0 +]*)(\d+)?(?:\.(\d+))?([dfeEs%])/g, (_m, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    let s: string;
    if (conv === '%') return '%';
    if (conv === 'd') s = String(Math.trunc(x));
    else if (conv === 'f') s = x.toFixed(precision === undefined ? 6 : Number(precision));
    else if (conv === 'e' || conv === 'E') {
      s = x.toExponential(precision === undefined ? 6 : Number(precision)).replace(/e([+-])(\d)$/, 'e$10$2');
      if (conv === 'E') s = s.toUpperCase();
    } else s = String(x);
    if (flags.includes('+') && x >= 0) s = `+${s}`;
    const w = width ? Number(width) : 0;
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') ? s.replace(/^([+-]?)/, (sign) => sign + '0'.repeat(w - s.length)) : s.padStart(w);
    return s;
  });
}

function regex(pattern: string): RegExp {
  // Java regex syntax is close enough to JavaScript's for PMML's replace/matches.
  try {
    return new RegExp(pattern, 'g');
  } catch {
    throw unsupported(`the regular expression "${pattern}"`);
  }
}

export const BUILT_INS: Record<string, BuiltIn> = {
  '+': binary((x, y) => x + y),
  '-': binary((x, y) => x - y),
  '*': binary((x, y) => x * y),
  '/': binary((x, y) => x / y),
  modulo: binary((x, y) => x - y * Math.floor(x / y)),
  min: nary((xs) => Math.min(...xs)),
  max: nary((xs) => Math.max(...xs)),
  sum: nary((xs) => xs.reduce((a, b) => a + b, 0)),
  avg: nary((xs) => xs.reduce((a, b) => a + b, 0) / xs.length),
  median: nary(median),
  product: nary((xs) => xs.reduce((a, b) => a * b, 1)),
  log10: unary(Math.log10),
  ln: unary(Math.log),
  ln1p: unary(Math.log1p),
  exp: unary(Math.exp),
  expm1: unary(Math.expm1),
  sqrt: unary(Math.sqrt),
  abs: unary(Math.abs),
  pow: binary(Math.pow),
  hypot: binary(Math.hypot),
  threshold: binary((x, y) => (x > y ? 1 : 0)),
  floor: unary(Math.floor),
  ceil: unary(Math.ceil),
  round: unary(Math.round),
  rint: unary(rint),
  sin: unary(Math.sin),
  cos: unary(Math.cos),
  tan: unary(Math.tan),
  asin: unary(Math.asin),
  acos: unary(Math.acos),
  atan: unary(Math.atan),
  atan2: binary(Math.atan2),
  sinh: unary(Math.sinh),
  cosh: unary(Math.cosh),
  tanh: unary(Math.tanh),
  erf: unary(erf),
  stdNormalCDF: unary(normalCdf),
  stdNormalPDF: unary(normalPdf),
  stdNormalIDF: unary(normalIdf),
  normalCDF: { min: 3, max: 3, call: ([x, m, s]) => normalCdf((num(x!) - num(m!)) / num(s!)) },
  normalPDF: { min: 3, max: 3, call: ([x, m, s]) => normalPdf((num(x!) - num(m!)) / num(s!)) / num(s!) },
  normalIDF: { min: 3, max: 3, call: ([p, m, s]) => num(m!) + num(s!) * normalIdf(num(p!)) },
  isMissing: { min: 1, max: 1, handlesMissing: true, call: ([x]) => x === null },
  isNotMissing: { min: 1, max: 1, handlesMissing: true, call: ([x]) => x !== null },
  equal: cmp((c) => c === 0),
  notEqual: cmp((c) => c !== 0),
  lessThan: cmp((c) => c < 0),
  lessOrEqual: cmp((c) => c <= 0),
  greaterThan: cmp((c) => c > 0),
  greaterOrEqual: cmp((c) => c >= 0),
  and: { min: 2, max: Infinity, call: (args) => args.every(bool) },
  or: { min: 2, max: Infinity, call: (args) => args.some(bool) },
  not: { min: 1, max: 1, call: ([x]) => !bool(x!) },
  isIn: { min: 2, max: Infinity, call: ([x, ...set]) => set.some((v) => equal(x!, v)) },
  isNotIn: { min: 2, max: Infinity, call: ([x, ...set]) => !set.some((v) => equal(x!, v)) },
  if: {
    min: 2,
    max: 3,
    handlesMissing: true,
    call: ([c, a, b]) => (c === null || c === undefined ? null : bool(c) ? (a ?? null) : (b ?? null)),
  },
  uppercase: { min: 1, max: 1, call: ([s]) => String(s).toUpperCase() },
  lowercase: { min: 1, max: 1, call: ([s]) => String(s).toLowerCase() },
  trimBlanks: { min: 1, max: 1, call: ([s]) => String(s).trim() },
  substring: { min: 3, max: 3, call: ([s, start, length]) => String(s).substr(num(start!) - 1, num(length!)) },
  concat: { min: 2, max: Infinity, call: (args) => args.map(String).join('') },
  replace: { min: 3, max: 3, call: ([s, p, r]) => String(s).replace(regex(String(p)), String(r)) },
  matches: { min: 2, max: 2, call: ([s, p]) => new RegExp(regex(String(p)).source).test(String(s)) },
  formatNumber: { min: 2, max: 2, call: ([x, p]) => formatNumber(num(x!), String(p)) },
};
