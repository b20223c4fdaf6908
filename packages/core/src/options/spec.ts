/**
 * The option kit: a backend declares its options once (type, range or choices, default, when they
 * apply, one line of doc) and every source of options is checked against that one spec.
 *
 * Sources differ in trust and in what a mistake costs:
 * - `command-line`: what the user typed (`--model name=path,key=value`): an unknown key is an error
 *   that lists the known ones, so a typo never passes silently.
 * - `guest-config` (load_by_name_with_config) and `metadata` (a compute's JSON input): what a guest
 *   sent: unknown keys are ignored and handed back in `ignored` (a guest written for another
 *   runtime may send keys this backend does not have), but a known key with a value of the wrong
 *   type is `invalid-argument`.
 * Checks every backend needs are built in, the thread cap among them: a `threads` option over the
 * machine's cores is refused, because guests can set it. The core count comes from the `cores`
 * function a backend passes in, so this file stays free of `node:` modules (it bundles for browsers).
 */
import type { JsonValue, LoadRequest } from '../backend.js';
import { NnError } from '../errors.js';

/**
 * `threads`: a whole number of threads, at most the machine's cores. `list`: a JSON array, or text
 * with items separated by `|`, `+` or spaces (a `--model` spec splits on commas). `strings`: one
 * string or a JSON array of them, each kept exactly as given (stop sequences, where spaces and
 * separators count). `json-object`: a JSON object, or JSON text of one; kept as JSON text.
 */
export type OptionType = 'integer' | 'number' | 'threads' | 'boolean' | 'string' | 'strings' | 'choice' | 'list' | 'json-object';

/** When an option takes effect: when the model loads, or on every compute (metadata may set it). */
export type OptionWhen = 'load' | 'compute';

export type OptionSource = 'command-line' | 'guest-config' | 'metadata';

export interface OptionSpec {
  type: OptionType;
  when: OptionWhen;
  /** One line: what the option does (shown by `wacs backends --json` and in errors). */
  doc: string;
  /** The value used when the option is not given (for listing; the backend applies it). */
  default?: JsonValue;
  min?: number;
  max?: number;
  /** `choice`: the allowed values; `list`: the allowed items, when limited. */
  choices?: readonly string[];
  /** `list`: the one separator of items given as text, for items that may hold spaces (default: `|`, `+` or spaces). */
  separator?: string;
  /** A check beyond type and range: returns what the value must be when it fails, else undefined. */
  check?: (value: never) => string | undefined;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** The checked value of an option, by its spec. */
export type OptionValue<S extends OptionSpec> = S['type'] extends 'integer' | 'number' | 'threads'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'choice'
      ? S['choices'] extends readonly (infer C)[]
        ? C
        : string
      : S['type'] extends 'list'
        ? Array<string | number>
        : S['type'] extends 'strings'
          ? string[]
          : string;

export type OptionValues<T extends OptionSpecs> = { -readonly [K in keyof T]?: OptionValue<T[K]> };

export interface ParsedOptions<T extends OptionSpecs> {
  /** The options given, checked and converted. */
  values: OptionValues<T>;
  /** Options given as null: back to the graph's value or the default (only with `nullClears`). */
  cleared: Array<keyof T & string>;
  /** Unknown keys a guest sent, ignored: the backend may note them (e.g. on stderr under a log option). */
  ignored: string[];
  /**
   * Load-time options that arrived in a compute's metadata (their values are in `values`, checked):
   * the backend decides what they mean per compute (same value: nothing; changed: reload or note).
   */
  loadTime: Array<keyof T & string>;
}

/** An option as `wacs backends --json` lists it: its spec as plain data. */
export type OptionDescription = Omit<OptionSpec, 'check'> & { name: string };

export interface OptionSetSettings {
  /** The machine's cores (e.g. node:os `availableParallelism`); required when an option is `threads`. */
  cores?: () => number;
  /** Whether a null value clears an option (reported in `cleared`); otherwise null is a wrong type. */
  nullClears?: boolean;
  /** Keys the backend knows but cannot honour, with the reason: refused from the command line, ignored from a guest. */
  unsupported?: Record<string, string>;
}

const WHERE: Record<OptionSource, string> = {
  'command-line': 'model option',
  'guest-config': 'load_by_name_with_config',
  metadata: 'metadata',
};

function describeValue(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

/** The one spec of a backend's options, and the parser every source of options goes through. */
export class OptionSet<T extends OptionSpecs> {
  readonly names: Array<keyof T & string>;

  constructor(
    /** The backend's name, for messages ("the onnx backend knows …"). */
    readonly backend: string,
    readonly specs: T,
    private readonly settings: OptionSetSettings = {},
  ) {
    this.names = Object.keys(specs);
    for (const [name, spec] of Object.entries(specs)) {
      // A thread count declared as a plain integer would escape the cap.
      if (/threads/.test(name) && (spec.type === 'integer' || spec.type === 'number')) {
        throw new Error(`option "${name}" of the ${backend} backend counts threads: declare it with type "threads"`);
      }
      if (spec.type === 'threads' && !settings.cores) {
        throw new Error(`option "${name}" of the ${backend} backend is a thread count: pass { cores } to check it against the machine`);
      }
      if (spec.type === 'choice' && !spec.choices?.length) throw new Error(`option "${name}" of the ${backend} backend is a choice with no choices`);
    }
  }

  /** Checks options from one source; see the file comment for how sources differ. */
  parse(raw: Readonly<Record<string, unknown>>, source: OptionSource): ParsedOptions<T> {
    const where = WHERE[source];
    const strict = source === 'command-line';
    const parsed: ParsedOptions<T> = { values: {}, cleared: [], ignored: [], loadTime: [] };
    for (const [key, value] of Object.entries(raw)) {
      if (!Object.hasOwn(this.specs, key)) {
        if (!strict) {
          parsed.ignored.push(key);
          continue;
        }
        const reason = this.settings.unsupported?.[key];
        throw new NnError(
          'invalid-argument',
          reason
            ? `${where}: option "${key}" is not supported by the ${this.backend} backend (${reason})`
            : `${where}: unknown option "${key}"; the ${this.backend} backend knows ${this.names.join(', ') || 'no options'}`,
        );
      }
      const name = key as keyof T & string;
      if (source === 'metadata' && this.specs[name]!.when === 'load') parsed.loadTime.push(name);
      if (value === null && this.settings.nullClears) {
        parsed.cleared.push(name);
        continue;
      }
      (parsed.values as Record<string, unknown>)[name] = this.check(name, value, where);
    }
    return parsed;
  }

  /**
   * A load request's options: those the host's user gave (the named-model spec) strictly, those the
   * guest sent with load_by_name_with_config leniently; the guest's win where both set a key.
   */
  parseLoad(request: Pick<LoadRequest, 'options' | 'guestOptions'>): ParsedOptions<T> {
    const guest = request.guestOptions ?? {};
    const user = Object.fromEntries(Object.entries(request.options).filter(([key]) => !Object.hasOwn(guest, key)));
    const fromUser = this.parse(user, 'command-line');
    const fromGuest = this.parse(guest, 'guest-config');
    return {
      values: { ...fromUser.values, ...fromGuest.values },
      cleared: [...fromUser.cleared, ...fromGuest.cleared],
      ignored: fromGuest.ignored,
      loadTime: [],
    };
  }

  /** The spec as plain data, for listings. */
  describe(): OptionDescription[] {
    return Object.entries(this.specs).map(([name, spec]) => {
      const { check: _check, ...data } = spec;
      const max = spec.type === 'threads' ? Math.min(spec.max ?? Infinity, this.cores()) : spec.max;
      return { name, ...data, ...(max !== undefined ? { max } : {}) };
    });
  }

  private cores(): number {
    return this.settings.cores?.() ?? Infinity;
  }

  private check(name: string, value: unknown, where: string): unknown {
    const spec = this.specs[name]!;
    const fail = (expected: string) =>
      new NnError('invalid-argument', `${where}: option "${name}" must be ${expected}, got ${describeValue(value)} (${spec.doc})`);
    const checked = this.convert(spec, value, fail, where, name);
    const problem = spec.check?.(checked as never);
    if (problem) throw fail(problem);
    return checked;
  }

  private convert(spec: OptionSpec, value: unknown, fail: (expected: string) => NnError, where: string, name: string): unknown {
    switch (spec.type) {
      case 'boolean':
        // `--model` values arrive as text when they are not JSON.
        if (value === true || value === 'true') return true;
        if (value === false || value === 'false') return false;
        throw fail('true or false');
      case 'string':
        if (typeof value !== 'string') throw fail('a string');
        return value;
      case 'strings': {
        const items = typeof value === 'string' ? [value] : value;
        if (!Array.isArray(items) || items.length === 0 || !items.every((i) => typeof i === 'string' && i !== '')) {
          throw fail('a non-empty string or a non-empty JSON array of them');
        }
        return items;
      }
      case 'choice':
        if (typeof value !== 'string' || !spec.choices!.includes(value)) throw fail(`one of ${spec.choices!.join(', ')}`);
        return value;
      case 'list': {
        const words = typeof value === 'string' ? (spec.separator ? value.split(spec.separator).map((item) => item.trim()) : value.split(/[+|\s]+/)) : undefined;
        const items = words ? words.filter(Boolean) : typeof value === 'number' ? [value] : value;
        if (!Array.isArray(items) || items.length === 0 || !items.every((i) => typeof i === 'string' || (typeof i === 'number' && Number.isInteger(i) && i >= 0))) {
          throw fail('a non-empty list (a JSON array, or text such as "a|b")');
        }
        if (spec.choices) {
          const wrong = items.find((i) => !spec.choices!.includes(String(i)));
          if (wrong !== undefined) throw fail(`a list of ${spec.choices.join(', ')} (not ${describeValue(wrong)})`);
        }
        return items;
      }
      case 'json-object': {
        let object: unknown = value;
        if (typeof value === 'string') {
          try {
            object = JSON.parse(value);
          } catch (e) {
            throw fail(`a JSON object (${(e as Error).message})`);
          }
        }
        if (object === null || typeof object !== 'object' || Array.isArray(object)) throw fail('a JSON object');
        return JSON.stringify(object);
      }
      case 'integer':
      case 'number':
      case 'threads': {
        const whole = spec.type !== 'number';
        if (typeof value !== 'number' || !Number.isFinite(value) || (whole && !Number.isInteger(value))) {
          throw fail(spec.type === 'threads' ? 'a whole number of threads' : whole ? 'an integer' : 'a number');
        }
        const min = spec.min ?? (spec.type === 'threads' ? 0 : undefined);
        if (min !== undefined && value < min) throw fail(`at least ${min}`);
        if (spec.max !== undefined && value > spec.max) throw fail(`at most ${spec.max}`);
        if (spec.type === 'threads') {
          // A guest can set it: a thread pool larger than the machine only costs the host.
          const cores = this.cores();
          if (value > cores) throw new NnError('invalid-argument', `${where}: option "${name}" ${value} is more threads than this machine's ${cores} cores`);
        }
        return value;
      }
    }
  }
}

/** Declares a backend's options (see `OptionSet`). */
export function defineOptions<const T extends OptionSpecs>(backend: string, specs: T, settings?: OptionSetSettings): OptionSet<T> {
  return new OptionSet(backend, specs, settings);
}
