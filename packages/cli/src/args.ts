/**
 * A small argument parser for wacs commands: `--name value`, `--name=value`, repeatable options,
 * boolean flags, and positionals anywhere before `--` (everything after `--` is passed through).
 */
export interface OptionSpec {
  /** Takes a value (otherwise a boolean flag). */
  value?: boolean;
  /** May be given more than once; collects into an array. */
  repeat?: boolean;
}

export interface ParsedArgs {
  options: Record<string, string | string[] | boolean>;
  positionals: string[];
  /** Arguments after `--`. */
  rest: string[];
}

export class UsageError extends Error {}

/**
 * `guestArgsAfterPositional`: once a positional has been seen (`wacs run app.wasm …`), an option
 * wacs does not know is the guest's (WasmEdge passes everything after the module to it, and
 * LlamaEdge's apps take `--prompt-template` and the like).
 */
export function parseArgs(argv: string[], spec: Record<string, OptionSpec>, settings: { guestArgsAfterPositional?: boolean } = {}): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { options, positionals, rest: argv.slice(i + 1) };
    if (!arg.startsWith('--') || arg === '-') {
      if (arg === '-h') {
        options.help = true;
        continue;
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    const option = spec[name];
    if (!option && settings.guestArgsAfterPositional && positionals.length > 0) {
      positionals.push(arg);
      continue;
    }
    if (!option) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown option --${name} (options: ${known})`);
    }
    let value: string | boolean = true;
    if (option.value) {
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new UsageError(`--${name} needs a value`);
    } else if (eq > 0) throw new UsageError(`--${name} takes no value`);
    if (option.repeat) ((options[name] ??= []) as string[]).push(value as string);
    else options[name] = value;
  }
  return { options, positionals, rest: [] };
}

export function list(value: unknown): string[] {
  return Array.isArray(value) ? value : [];
}

export function number(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} expects a positive number, got "${String(value)}"`);
  return n;
}
