/**
 * Reading a compute's inputs by role: component guests name them ("prompt", "metadata"), preview1
 * guests by position ("0", "1", …). One reader for every backend, so both ways of naming behave
 * the same everywhere and a wrong input gets the same message.
 */
import { NnError } from '../errors.js';
import { tensorJson, type NamedTensor, type Tensor, type TensorType } from '../tensor.js';

export interface InputRole {
  /** The position preview1 guests give it. */
  index: number;
  /** The tensor types it accepts; where roles share an index, the type says which role an input is. */
  types: readonly TensorType[];
  /** What it holds, for messages ("UTF-8 text", "token ids"). */
  what: string;
  /**
   * An input at this index of another type is not this role (it stays among `others`) rather than
   * an error: for optional roles at an index a model's own inputs may use too.
   */
  typeDecides?: boolean;
}

export interface SortedInputs<R extends string> {
  /** The tensor of each role given. */
  roles: Partial<Record<R, Tensor>>;
  /** The name each role's tensor came under (for messages). */
  names: Partial<Record<R, string>>;
  /** Inputs of no role (only with `others: 'keep'`). */
  others: NamedTensor[];
}

function roleList(roles: Record<string, InputRole>): string {
  const names = Object.entries(roles).map(([name, role]) => `"${name}" (index ${role.index})`);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? 'no inputs');
}

/**
 * Sorts inputs into roles by name or index. An input of no role is an `invalid-argument` naming the
 * roles, unless `others` is `keep` (a backend whose models take inputs of their own names).
 */
export function readInputs<R extends string>(
  inputs: readonly NamedTensor[],
  roles: Record<R, InputRole>,
  settings: { backend: string; others?: 'refuse' | 'keep' },
): SortedInputs<R> {
  const sorted: SortedInputs<R> = { roles: {}, names: {}, others: [] };
  const entries = Object.entries(roles) as Array<[R, InputRole]>;
  for (const input of inputs) {
    const { name, tensor } = input;
    const byName = entries.find(([role]) => role === name);
    const atIndex = byName ? [byName] : entries.filter(([, role]) => String(role.index) === name);
    const match = atIndex.find(([, role]) => role.types.includes(tensor.type));
    if (match) {
      sorted.roles[match[0]] = tensor;
      sorted.names[match[0]] = name;
      continue;
    }
    if (atIndex.length && !atIndex.every(([, role]) => role.typeDecides)) {
      const [roleName, role] = atIndex[0]!;
      const expected = atIndex.length > 1 ? atIndex.map(([n, r]) => `${r.types.join(' or ')} (${n}: ${r.what})`).join(', or ') : `${role.types.join(' or ')} (${role.what})`;
      throw new NnError('invalid-argument', `input "${name}"${name === roleName ? '' : ` (${atIndex.map(([n]) => n).join(' or ')})`} must be ${expected}, got ${tensor.type}`);
    }
    if (settings.others === 'keep') sorted.others.push(input);
    else throw new NnError('invalid-argument', `unknown input "${name}": the ${settings.backend} backend reads ${roleList(roles)}`);
  }
  return sorted;
}

/** The prompt/metadata pair most text backends read: UTF-8 text at 0, JSON options at 1. */
export const TEXT_INPUTS = {
  prompt: { index: 0, types: ['U8'], what: 'UTF-8 text' },
  metadata: { index: 1, types: ['U8'], what: 'a JSON object of options' },
} as const satisfies Record<string, InputRole>;

/**
 * A metadata input's JSON object. Text that does not parse is `invalid-encoding`; JSON that is not
 * an object is `invalid-argument`.
 */
export function metadataObject(tensor: Tensor, what = 'the metadata input'): Record<string, unknown> {
  return tensorJson(tensor, what);
}
