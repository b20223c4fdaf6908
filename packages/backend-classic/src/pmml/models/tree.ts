/**
 * TreeModel, compiled into flat typed arrays once at load: nodes in breadth-first order so each
 * node's children are contiguous, with simple numeric predicates as (op, slot, threshold) and
 * anything else as a closure. Walking a row is then a tight loop over those arrays.
 */
import type { Row } from '../fields.js';
import { compilePredicate, OP, PREDICATES, predicateChild, TRUE, UNKNOWN, type Truth } from '../predicates.js';
import { attr, children, invalid, numAttr, onlyChildren, parseNumber, required, unsupported, type El } from '../xml.js';
import { argmax, COMMON_CHILDREN, fillNaN, type CompiledModel, type ModelContext } from './common.js';

const STRATEGY = { none: 0, lastPrediction: 1, nullPrediction: 2, defaultChild: 3 } as const;

export const TREE_CHILDREN = [...COMMON_CHILDREN, 'Node'];

export function compileTree(el: El, ctx: ModelContext): CompiledModel['evaluate'] {
  onlyChildren(el, TREE_CHILDREN);
  const strategyName = attr(el, 'missingValueStrategy') ?? 'none';
  const strategy = STRATEGY[strategyName as keyof typeof STRATEGY];
  if (strategy === undefined) throw unsupported(`TreeModel missingValueStrategy="${strategyName}"`);
  const noTrueChild = attr(el, 'noTrueChildStrategy') ?? 'returnNullPrediction';
  if (noTrueChild !== 'returnNullPrediction' && noTrueChild !== 'returnLastPrediction') {
    throw unsupported(`TreeModel noTrueChildStrategy="${noTrueChild}"`);
  }
  const returnLast = noTrueChild === 'returnLastPrediction';

  // Breadth-first layout: children of node i are nodes[childStart[i] .. childEnd[i]).
  const nodes: El[] = [required(el, 'Node')];
  const start: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    onlyChildren(node, [...PREDICATES, 'ScoreDistribution', 'Node', 'Partition']);
    start.push(nodes.length);
    nodes.push(...children(node, 'Node'));
    end.push(nodes.length);
  }
  const n = nodes.length;
  const childStart = Int32Array.from(start);
  const childEnd = Int32Array.from(end);
  const predOp = new Uint8Array(n);
  const predSlot = new Int32Array(n);
  const predValue = new Float64Array(n);
  const predTest: Array<((row: Row) => Truth) | undefined> = new Array(n);
  const derived = new Set<number>();
  const ids = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (node.attrs.id !== undefined) ids.set(node.attrs.id, i);
    const p = compilePredicate(predicateChild(node), ctx.scope);
    if (p.flat) {
      predOp[i] = p.flat.op;
      predValue[i] = p.flat.value;
      if (p.flat.field) {
        predSlot[i] = p.flat.field.slot;
        if (p.flat.field.compute) derived.add(p.flat.field.slot);
      }
    } else {
      predOp[i] = OP.CLOSURE;
      predTest[i] = p.test;
    }
  });
  const defaultChild = new Int32Array(n).fill(-1);
  if (strategy === STRATEGY.defaultChild) {
    nodes.forEach((node, i) => {
      const id = node.attrs.defaultChild;
      if (id === undefined) return;
      const target = ids.get(id);
      if (target === undefined || target < childStart[i]! || target >= childEnd[i]!) {
        throw invalid(`Node defaultChild="${id}" is not a child of node ${node.attrs.id ?? i}`);
      }
      defaultChild[i] = target;
    });
  }
  const derivedSlots = Int32Array.from(derived);

  // Binary splits (the shape of nearly every tree a library writes): a first child with a numeric
  // comparison and a second that is its complement (or True). Such a node is decided by one
  // comparison; a missing value falls back to the general loop, which applies the strategy.
  const COMPLEMENT: Record<number, number> = { [OP.LT]: OP.GE, [OP.LE]: OP.GT, [OP.GT]: OP.LE, [OP.GE]: OP.LT, [OP.EQ]: OP.NE, [OP.NE]: OP.EQ };
  const binary = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = childStart[i]!;
    if (childEnd[i]! - a !== 2 || predOp[a]! >= OP.TRUE) continue;
    const b = a + 1;
    const complement = predOp[b] === COMPLEMENT[predOp[a]!] && predSlot[b] === predSlot[a] && predValue[b] === predValue[a];
    if (complement || predOp[b] === OP.TRUE) binary[i] = 1;
  }

  const test = (c: number, row: Row, num: Float64Array): Truth => {
    const op = predOp[c]!;
    if (op < OP.TRUE) {
      const v = num[predSlot[c]!]!;
      if (v !== v) return UNKNOWN;
      const x = predValue[c]!;
      switch (op) {
        case OP.LT:
          return v < x ? 1 : 0;
        case OP.LE:
          return v <= x ? 1 : 0;
        case OP.GT:
          return v > x ? 1 : 0;
        case OP.GE:
          return v >= x ? 1 : 0;
        case OP.EQ:
          return v === x ? 1 : 0;
        default:
          return v !== x ? 1 : 0;
      }
    }
    switch (op) {
      case OP.TRUE:
        return 1;
      case OP.FALSE:
        return 0;
      case OP.IS_MISSING:
        return num[predSlot[c]!] !== num[predSlot[c]!] ? 1 : 0;
      case OP.IS_NOT_MISSING:
        return num[predSlot[c]!] === num[predSlot[c]!] ? 1 : 0;
      default:
        return predTest[c]!(row);
    }
  };

  /** The node whose prediction the row gets, or -1 for a null prediction. */
  const walk = (row: Row): number => {
    for (let i = 0; i < derivedSlots.length; i++) row.ensure(derivedSlots[i]!);
    const num = row.num;
    if (test(0, row, num) !== TRUE) return -1;
    let node = 0;
    for (;;) {
      const first = childStart[node]!;
      if (binary[node]) {
        const v = num[predSlot[first]!]!;
        if (v === v) {
          const x = predValue[first]!;
          const op = predOp[first]!;
          const yes = op === OP.LT ? v < x : op === OP.LE ? v <= x : op === OP.GT ? v > x : op === OP.GE ? v >= x : op === OP.EQ ? v === x : v !== x;
          node = yes ? first : first + 1;
          continue;
        }
      }
      const last = childEnd[node]!;
      if (first === last) return node;
      let next = -1;
      for (let c = first; c < last; c++) {
        const t = test(c, row, num);
        if (t === TRUE) {
          next = c;
          break;
        }
        if (t === UNKNOWN && strategy !== STRATEGY.none) {
          if (strategy === STRATEGY.lastPrediction) return node;
          if (strategy === STRATEGY.nullPrediction) return -1;
          next = defaultChild[node]!;
          if (next < 0) throw invalid(`row ${row.index}: a value is missing at node ${nodes[node]!.attrs.id ?? node}, which has no defaultChild`);
          break;
        }
      }
      if (next < 0) return returnLast ? node : -1;
      node = next;
    }
  };

  if (ctx.kind === 'regression') {
    const score = Float64Array.from(nodes, (node) => (node.attrs.score === undefined ? NaN : parseNumber(node.attrs.score)));
    return (row) => {
      const node = walk(row);
      return node < 0 ? NaN : score[node]!;
    };
  }
  if (ctx.kind !== 'classification') throw unsupported(`TreeModel with functionName="${ctx.kind}"`);

  // Classes first (a tree may name classes the DataDictionary leaves implicit), then the table.
  const scoreClass = Int32Array.from(nodes, (node) => (node.attrs.score === undefined ? -1 : ctx.classes.index(node.attrs.score)));
  const distributions = nodes.map((node) =>
    children(node, 'ScoreDistribution').map((d) => ({
      index: ctx.classes.index(d.attrs.value ?? ''),
      count: numAttr(d, 'recordCount', 0),
      probability: numAttr(d, 'probability'),
    })),
  );
  const classCount = ctx.classes.labels.length;
  const probTable = new Float64Array(n * classCount);
  const hasProbs = new Uint8Array(n);
  distributions.forEach((dist, i) => {
    const row = probTable.subarray(i * classCount, (i + 1) * classCount);
    if (dist.length && dist.every((d) => d.probability !== undefined)) {
      for (const d of dist) row[d.index] = d.probability!;
      hasProbs[i] = 1;
    } else if (dist.length) {
      const total = dist.reduce((s, d) => s + d.count, 0);
      if (total > 0) {
        for (const d of dist) row[d.index] = d.count / total;
        hasProbs[i] = 1;
      }
    }
    if (!hasProbs[i] && scoreClass[i]! >= 0) {
      row[scoreClass[i]!] = 1;
      hasProbs[i] = 1;
    }
  });
  return (row, probs) => {
    const node = walk(row);
    if (node < 0 || !hasProbs[node]) {
      fillNaN(probs, classCount);
      return -1;
    }
    const offset = node * classCount;
    for (let k = 0; k < classCount; k++) probs[k] = probTable[offset + k]!;
    const label = scoreClass[node]!;
    return label >= 0 ? label : argmax(probs, classCount);
  };
}
