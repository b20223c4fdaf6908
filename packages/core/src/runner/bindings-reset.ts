/**
 * A pass over jco's bindings (guest.js) that lets `wacs serve` put an instance's bindings back as
 * they were just after instantiation, alongside its memory and globals (serve/instance-reset.ts).
 *
 * jco keeps an instance's glue state in variables of `instantiate` and of the generator inside it
 * that makes the instance: resource handle tables (`handleTableN`), the host objects behind
 * handles (`captureTableN`) and their counters (`captureCntN`), borrows in flight, task stacks.
 * The pass reads the bindings' syntax tree, sorts every variable of those two scopes into
 *   - state: an array or Map made by its initializer, or a `let` with a literal initializer: saved
 *     as instantiation leaves it, and restored (arrays and Maps in place, since other closures
 *     hold them);
 *   - fixed: a `const` that is not such a container, a function or class, a `let` assigned only
 *     by the instantiation's own statements, and the few caches and scratch values jco's runtime
 *     keeps (KNOWN_FIXED);
 * and gives the instance's exports a function under `Symbol.for(RESET_BINDINGS)` that restores the
 * state. Bindings with a variable it cannot sort (or one declared in a block), or whose Maps are
 * not empty or arrays hold objects once instantiated, get no such function, and `wacs serve`
 * instantiates afresh instead.
 */
import { parse, type Node } from 'acorn';
import { RESET_BINDINGS } from '../serve/instance-reset.js';

/**
 * jco 1.15.4's caches and scratch values of `instantiate`, and the variables of the instantiation
 * itself: none holds a request's state (`dv` is a view of the current memory, `utf8EncodedLen` is
 * written before each read, `_fs` is node:fs once loaded).
 */
const KNOWN_FIXED = new Set(['dv', 'utf8EncodedLen', '_fs', 'gen', 'promise', 'resolve', 'reject', 'handleTables']);

type AnyNode = Node & Record<string, unknown>;

interface StateVariable {
  name: string;
  kind: 'array' | 'map' | 'value';
  /** `let` (reassigned on restore) or `const` (restored in place). */
  rebind: boolean;
}

function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Names assigned (or a property of which is assigned) inside a function nested in `root`, not by
 * the statements of `root` itself or of `inline` (the generator whose statements make the
 * instance, run once).
 */
function assignedInFunctions(root: AnyNode, inline: AnyNode): Set<string> {
  const names = new Set<string>();
  const targets = (pattern: AnyNode | null | undefined, into: Set<string>) => {
    if (!pattern) return;
    if (pattern.type === 'Identifier') into.add(pattern.name as string);
    else if (pattern.type === 'ObjectPattern') for (const p of pattern.properties as AnyNode[]) targets((p.value ?? p.argument) as AnyNode, into);
    else if (pattern.type === 'ArrayPattern') for (const e of pattern.elements as Array<AnyNode | null>) targets(e, into);
    else if (pattern.type === 'AssignmentPattern') targets(pattern.left as AnyNode, into);
    else if (pattern.type === 'RestElement') targets(pattern.argument as AnyNode, into);
    else if (pattern.type === 'MemberExpression') targets(pattern.object as AnyNode, into); // a property of it
  };
  const walk = (node: AnyNode, inFunction: boolean) => {
    const nested = inFunction || (node !== root && node !== inline && /Function/.test(node.type));
    if (nested && node.type === 'AssignmentExpression') targets(node.left as AnyNode, names);
    if (nested && node.type === 'UpdateExpression') targets(node.argument as AnyNode, names);
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) for (const v of value) isNode(v) && walk(v, nested);
      else if (isNode(value)) walk(value, nested);
    }
  };
  walk(root, false);
  return names;
}

/** Whether a variable is declared in a block of `root` or `inline` (outside their top-level statements and nested functions): one this pass does not sort. */
function declaresInBlocks(root: AnyNode, inline: AnyNode, topLevel: Set<AnyNode>): boolean {
  let found = false;
  const walk = (node: AnyNode) => {
    if (found || (node !== root && node !== inline && /Function/.test(node.type))) return;
    if (node.type === 'VariableDeclaration' && !topLevel.has(node)) found = true;
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) for (const v of value) isNode(v) && walk(v);
      else if (isNode(value)) walk(value);
    }
  };
  walk(root);
  return found;
}

const LITERAL = new Set(['Literal', 'UnaryExpression']);

/** Sorts one scope's declarations; undefined when one cannot be sorted. */
function scopeState(body: AnyNode[], assignedLater: Set<string>): StateVariable[] | undefined {
  const state: StateVariable[] = [];
  for (const statement of body) {
    if (statement.type !== 'VariableDeclaration') continue;
    const rebind = statement.kind !== 'const';
    for (const declaration of statement.declarations as AnyNode[]) {
      const id = declaration.id as AnyNode;
      const init = declaration.init as AnyNode | null;
      if (id.type !== 'Identifier') {
        if (rebind) return undefined; // destructured imports are `const`
        continue;
      }
      const name = id.name as string;
      if (KNOWN_FIXED.has(name)) continue;
      const container = init?.type === 'ArrayExpression' ? 'array' : init?.type === 'NewExpression' && (init.callee as AnyNode).type === 'Identifier' ? ((init.callee as AnyNode).name as string) : undefined;
      if (container === 'array') state.push({ name, kind: 'array', rebind });
      else if (container === 'Map') state.push({ name, kind: 'map', rebind });
      else if (container === 'Set' || container === 'WeakMap' || container === 'Array') return undefined;
      else if (init?.type === 'ObjectExpression' && assignedLater.has(name)) return undefined; // an object a call changes
      else if (!rebind) continue; // a const bound to anything else: a function, a symbol, an import, a codec
      else if (!init) {
        if (assignedLater.has(name)) return undefined; // a `let` a call assigns: state of a kind not known here
      } else if (LITERAL.has(init.type)) state.push({ name, kind: 'value', rebind });
      else return undefined;
    }
  }
  return state;
}

function variableDeclarator(body: AnyNode[], name: string): AnyNode | undefined {
  for (const statement of body) {
    if (statement.type !== 'VariableDeclaration') continue;
    for (const declaration of statement.declarations as AnyNode[]) if ((declaration.id as AnyNode).name === name) return declaration;
  }
  return undefined;
}

/** jco's bindings with the reset function added to the instance's exports, or unchanged (see above). */
export function resettableBindings(bindings: string): string {
  let program: AnyNode;
  try {
    program = parse(bindings, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as AnyNode;
  } catch {
    return bindings;
  }
  const instantiate = (program.body as AnyNode[])
    .map((s) => s.declaration as AnyNode | undefined)
    .find((d) => d?.type === 'FunctionDeclaration' && (d.id as AnyNode).name === 'instantiate');
  if (!instantiate) return bindings;
  const outerBody = (instantiate.body as AnyNode).body as AnyNode[];
  const generatorCall = variableDeclarator(outerBody, 'gen')?.init as AnyNode | undefined;
  const generator = generatorCall?.type === 'CallExpression' ? (generatorCall.callee as AnyNode) : undefined;
  if (generator?.type !== 'FunctionExpression' || !generator.generator) return bindings;
  const innerBody = (generator.body as AnyNode).body as AnyNode[];
  const last = innerBody.at(-1);
  if (last?.type !== 'ReturnStatement' || !last.argument) return bindings;

  if (declaresInBlocks(instantiate, generator, new Set([...outerBody, ...innerBody]))) return bindings;
  const assigned = assignedInFunctions(instantiate, generator);
  const outer = scopeState(outerBody, assigned);
  const inner = scopeState(innerBody, assigned);
  if (!outer || !inner) return bindings;
  const state = [...outer, ...inner];

  const saved = state.map((v, i) => (v.kind === 'array' ? `[...${v.name}]` : v.kind === 'map' ? `${v.name}.size` : v.name) + ` /* ${i} */`);
  const restore = state.map((v, i) => {
    if (v.kind === 'map') return `${v.name}.clear();`;
    if (v.kind === 'array') return v.rebind ? `${v.name} = [...saved[${i}]];` : `${v.name}.length = 0; ${v.name}.push(...saved[${i}]);`;
    return `${v.name} = saved[${i}];`;
  });
  // Restorable as saved: Maps empty, arrays of primitives (a copy of an object would share its later changes).
  const guards = state.flatMap((v, i) =>
    v.kind === 'map' ? [`saved[${i}] === 0`] : v.kind === 'array' ? [`saved[${i}].every((v) => v === null || (typeof v !== 'object' && typeof v !== 'function'))`] : [],
  );
  const hook = `
  const wacsResetBindings = ((saved) => (${guards.join(' && ') || 'true'}) ? () => {
    ${restore.join('\n    ')}
  } : undefined)([
    ${saved.join(',\n    ')}
  ]);
  `;
  const argument = last.argument as AnyNode;
  const returned = `Object.assign(${bindings.slice(argument.start, argument.end)}, wacsResetBindings ? { [Symbol.for('${RESET_BINDINGS}')]: wacsResetBindings } : {})`;
  return `${bindings.slice(0, last.start)}${hook}return ${returned};${bindings.slice(last.end)}`;
}
