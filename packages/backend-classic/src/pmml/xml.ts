/** PMML XML → a plain element tree (fast-xml-parser in document order, namespace prefixes dropped). */
import { NnError } from '@wacs/core/backend';
import { XMLParser } from 'fast-xml-parser';

export interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function convert(node: OrderedNode): El | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (!name || name === '#text' || name === '?xml' || name === '#comment') return undefined;
  const el: El = { name, attrs: node[':@'] ?? {}, children: [], text: '' };
  for (const child of (node[name] as OrderedNode[]) ?? []) {
    if ('#text' in child) el.text += String(child['#text']);
    else {
      const c = convert(child);
      if (c) el.children.push(c);
    }
  }
  return el;
}

export function parseXml(xml: string): El {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    removeNSPrefix: true,
    processEntities: true,
  });
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch (e) {
    throw new NnError('invalid-encoding', `PMML: the XML does not parse: ${(e as Error).message}`);
  }
  const root = nodes.map(convert).find((e): e is El => e !== undefined);
  if (!root || root.name !== 'PMML') {
    throw new NnError('invalid-encoding', `not a PMML document: the root element is <${root?.name ?? 'none'}>, not <PMML>`);
  }
  return root;
}

/** Elements PMML lets a consumer skip: vendor extensions and documentation. */
export const IGNORABLE = new Set(['Extension']);

export function children(el: El, name: string): El[] {
  return el.children.filter((c) => c.name === name);
}

export function child(el: El, name: string): El | undefined {
  return el.children.find((c) => c.name === name);
}

export function required(el: El, name: string): El {
  const c = child(el, name);
  if (!c) throw invalid(`<${el.name}> needs a <${name}> element`);
  return c;
}

export function attr(el: El, name: string): string | undefined {
  return el.attrs[name];
}

export function requiredAttr(el: El, name: string): string {
  const v = el.attrs[name];
  if (v === undefined) throw invalid(`<${el.name}> needs the attribute ${name}`);
  return v;
}

export function numAttr(el: El, name: string, fallback: number): number;
export function numAttr(el: El, name: string): number | undefined;
export function numAttr(el: El, name: string, fallback?: number): number | undefined {
  const v = el.attrs[name];
  if (v === undefined) return fallback;
  const n = parseNumber(v);
  if (Number.isNaN(n)) throw invalid(`<${el.name} ${name}="${v}">: not a number`);
  return n;
}

/** PMML numbers, including the INF/NaN spellings some producers write. */
export function parseNumber(text: string): number {
  const t = text.trim();
  if (t === '') return NaN;
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  const n = Number(t);
  return n;
}

/** Errors for PMML this evaluator will not run: never a silent wrong answer. */
export function unsupported(what: string): NnError {
  return new NnError('unsupported-operation', `PMML: ${what} is not supported by this evaluator`);
}

export function invalid(what: string): NnError {
  return new NnError('invalid-encoding', `PMML: ${what}`);
}

/** Checks that every child of `el` is one this code handles. */
export function onlyChildren(el: El, known: readonly string[]): void {
  for (const c of el.children) {
    if (!known.includes(c.name) && !IGNORABLE.has(c.name)) throw unsupported(`<${c.name}> inside <${el.name}>`);
  }
}

/**
 * PMML ARRAY content: whitespace-separated tokens, with double-quoted strings that may hold
 * spaces and \" escapes.
 */
export function arrayTokens(textContent: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(textContent); m; m = re.exec(textContent)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : m[2]!);
  }
  return out;
}

/** Values of an <Array>, <REAL-ARRAY>, <INT-ARRAY> or a sparse array element. */
export function arrayValues(el: El): string[] {
  if (el.name === 'REAL-SparseArray' || el.name === 'INT-SparseArray') {
    const n = numAttr(el, 'n');
    const indices = arrayTokens(child(el, 'Indices')?.text ?? '').map(Number);
    const entries = arrayTokens(child(el, el.name === 'REAL-SparseArray' ? 'REAL-Entries' : 'INT-Entries')?.text ?? '');
    const size = n ?? Math.max(0, ...indices);
    const values = new Array<string>(size).fill(el.attrs.defaultValue ?? '0');
    indices.forEach((index, i) => {
      if (index < 1 || index > size) throw invalid(`<${el.name}>: index ${index} is outside 1..${size}`);
      values[index - 1] = entries[i]!;
    });
    return values;
  }
  const values = arrayTokens(el.text);
  const n = numAttr(el, 'n');
  if (n !== undefined && n !== values.length) throw invalid(`<${el.name} n="${n}"> holds ${values.length} values`);
  return values;
}

export function numberArray(el: El): number[] {
  return arrayValues(el).map((v) => {
    const n = parseNumber(v);
    if (Number.isNaN(n)) throw invalid(`<${el.name}>: "${v}" is not a number`);
    return n;
  });
}

/** The one array child of an element (Array, REAL-ARRAY, sparse arrays…). */
export function arrayChild(el: El): El | undefined {
  return el.children.find((c) => /^(Array|REAL-ARRAY|INT-ARRAY|NUM-ARRAY|REAL-SparseArray|INT-SparseArray)$/.test(c.name));
}

/** The `name` children of `el`'s `parent` child, or none when that child is absent. */
export function grandchildren(el: El, parent: string, name: string): El[] {
  const p = child(el, parent);
  return p ? children(p, name) : [];
}
