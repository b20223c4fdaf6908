/**
 * Named models from the command line: `--model name=path,…` and WasmEdge's `--nn-preload`, and a
 * models folder; the registry itself is model-registry.ts.
 */
import type { ExecutionTarget, GraphEncoding, Options } from './backend.js';
import { GRAPH_ENCODINGS } from './backend.js';
import { NnError } from './errors.js';

import type { ModelRegistry, ModelSpec } from './model-registry.js';

export { ModelRegistry, type ModelSpec } from './model-registry.js';

const TARGETS: ExecutionTarget[] = ['cpu', 'gpu', 'tpu', 'auto'];

/** Parses a JSON-ish option value: numbers, booleans and JSON stay typed, the rest is a string. */
function optionValue(text: string): Options[string] {
  try {
    return JSON.parse(text) as Options[string];
  } catch {
    return text;
  }
}

/**
 * Parses `--model name=path[,encoding=E][,target=T][,backend=B][,key=value…]`; other keys become
 * graph options (`threads=1` → `{threads: 1}`).
 */
export function parseModelArg(arg: string): { name: string; spec: ModelSpec } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`--model expects name=path[,key=value…], got "${arg}"`);
  const name = arg.slice(0, eq);
  const [path, ...qualifiers] = arg.slice(eq + 1).split(',');
  if (!path) throw new Error(`--model ${name}: the path is empty`);
  const spec: ModelSpec = { path };
  const options: Options = {};
  for (const q of qualifiers) {
    const k = q.indexOf('=');
    if (k <= 0) throw new Error(`--model ${name}: expected key=value, got "${q}"`);
    const key = q.slice(0, k);
    const value = q.slice(k + 1);
    if (key === 'encoding') {
      if (!(GRAPH_ENCODINGS as readonly string[]).includes(value)) {
        throw new Error(`--model ${name}: unknown encoding "${value}" (one of ${GRAPH_ENCODINGS.join(', ')})`);
      }
      spec.encoding = value as GraphEncoding;
    } else if (key === 'target') {
      if (!(TARGETS as string[]).includes(value)) throw new Error(`--model ${name}: unknown target "${value}" (one of ${TARGETS.join(', ')})`);
      spec.target = value as ExecutionTarget;
    } else if (key === 'backend') spec.backend = value;
    else options[key] = optionValue(value);
  }
  if (Object.keys(options).length) spec.options = options;
  return { name, spec };
}

/** Parses WasmEdge's `--nn-preload name:ENCODING:TARGET:path`. */
export function parseNnPreload(arg: string): { name: string; spec: ModelSpec } {
  const parts = arg.split(':');
  if (parts.length < 4) throw new Error(`--nn-preload expects name:ENCODING:TARGET:path, got "${arg}"`);
  const [name, encodingText, targetText] = parts as [string, string, string];
  const path = parts.slice(3).join(':');
  const encoding = encodingText.toLowerCase();
  if (!(GRAPH_ENCODINGS as readonly string[]).includes(encoding)) {
    throw new Error(`--nn-preload ${name}: unknown encoding "${encodingText}" (one of ${GRAPH_ENCODINGS.map((e) => e.toUpperCase()).join(', ')})`);
  }
  const target = targetText.toLowerCase();
  if (!(TARGETS as string[]).includes(target)) throw new Error(`--nn-preload ${name}: unknown target "${targetText}" (CPU, GPU, TPU or AUTO)`);
  return { name, spec: { path, encoding: encoding as GraphEncoding, target: target as ExecutionTarget } };
}

/**
 * Registers every entry of a folder that a bound backend recognises (a GGUF or ONNX file, a GenAI
 * or tfjs model folder, …) under its name without extension. Returns what was registered.
 */
export async function registerModelsDir(
  dir: string,
  models: ModelRegistry,
  canLoad: (path: string) => Promise<boolean>,
): Promise<Array<{ name: string; path: string }>> {
  const { readdir } = await import('node:fs/promises');
  const { join, extname, basename } = await import('node:path');
  const found: Array<{ name: string; path: string }> = [];
  for (const entry of (await readdir(dir)).sort()) {
    if (entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (!(await canLoad(path))) continue;
    const name = basename(entry, extname(entry));
    if (models.has(name)) continue; // an explicit --model wins
    models.add(name, { path });
    found.push({ name, path });
  }
  return found;
}
