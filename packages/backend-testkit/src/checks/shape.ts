/** The backend object itself: its name, encodings and methods, and the hardware variants it lists. */
import { GRAPH_ENCODINGS } from '@wacs/core/backend';
import { fail } from '../errors.js';
import { skip, type CheckGroup } from './harness.js';

export const shapeChecks = {
  async shape({ backend }) {
    const problems: string[] = [];
    if (typeof backend.name !== 'string' || !/^\S+$/.test(backend.name)) problems.push(`name must be a non-empty string without spaces, got ${JSON.stringify(backend.name)}`);
    if (!Array.isArray(backend.encodings) || backend.encodings.length === 0) {
      problems.push(`encodings must be a non-empty array of ${GRAPH_ENCODINGS.join(', ')}`);
    } else {
      const unknown = backend.encodings.filter((e) => !(GRAPH_ENCODINGS as readonly string[]).includes(e));
      if (unknown.length) problems.push(`unknown encoding(s) ${unknown.join(', ')} (wasi:nn has ${GRAPH_ENCODINGS.join(', ')})`);
      if (new Set(backend.encodings).size !== backend.encodings.length) problems.push('encodings has duplicates');
    }
    if (typeof backend.load !== 'function') problems.push('load must be a function');
    for (const key of ['detect', 'startEngine', 'hardware', 'dispose'] as const) {
      if (backend[key] !== undefined && typeof backend[key] !== 'function') problems.push(`${key} must be a function when present`);
    }
    if (problems.length) fail(problems.join('; '));
    const optional = (['detect', 'startEngine', 'hardware', 'dispose'] as const).filter((k) => backend[k]);
    return `name "${backend.name}", encodings ${backend.encodings.join(', ')}; optional methods: ${optional.join(', ') || 'none'}`;
  },

  async hardware({ backend }) {
    if (!backend.hardware) skip('hardware() is optional; without it `wacs backends` lists no variants');
    const variants: unknown = await backend.hardware();
    if (!Array.isArray(variants)) fail(`hardware() must resolve to an array of variants, got ${typeof variants}`);
    const problems: string[] = [];
    const names = new Set<string>();
    variants.forEach((v: unknown, i) => {
      const variant = v as Record<string, unknown> | null;
      if (!variant || typeof variant !== 'object') return void problems.push(`variant ${i} is not an object`);
      const { name, available, active, detail } = variant;
      if (typeof name !== 'string' || !name) problems.push(`variant ${i}: name must be a non-empty string`);
      else if (names.has(name)) problems.push(`variant name "${name}" appears twice`);
      else names.add(name);
      if (typeof available !== 'boolean') problems.push(`variant ${String(name ?? i)}: available must be a boolean`);
      if (active !== undefined && typeof active !== 'boolean') problems.push(`variant ${String(name ?? i)}: active must be a boolean when present`);
      if (active === true && available === false) problems.push(`variant ${String(name)} is active but not available`);
      if (detail !== undefined && typeof detail !== 'string') problems.push(`variant ${String(name ?? i)}: detail must be a string when present`);
    });
    if (problems.length) fail(problems.join('; '));
    try {
      JSON.stringify(variants);
    } catch (e) {
      fail(`hardware() variants must be plain JSON (wacs backends --json prints them): ${(e as Error).message}`);
    }
    const shown = (variants as Array<{ name: string; available: boolean; active?: boolean }>).map((v) => `${v.name}${v.active ? ' (active)' : v.available ? '' : ' (unavailable)'}`);
    return `${variants.length} variant(s): ${shown.join(', ') || 'none'}`;
  },
} satisfies CheckGroup;
