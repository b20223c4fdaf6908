// hybrid-chat: a small local model answers first; a larger remote one takes what exceeds it.
//
//   hybrid-chat [--local NAME] [--remote NAME] [--schema JSON] [--chat]
//               [--set KEY=VALUE]… [--local-set KEY=VALUE]… [--remote-set KEY=VALUE]… PROMPT…
//
// Both models are loaded by name: the host decides what they are (e.g. --model small=tiny.gguf and
// --model big=https://…,backend=remote,protocol=openai). The rule, in order:
//   1. ask the local model (default name "small");
//   2. if it refuses the prompt because it does not fit its context (the prompt is too long, or
//      the context fills before the answer ends), ask the remote model (default "big");
//   3. with --schema, if the local answer is not valid JSON for the schema, ask the remote model.
// Output: the answer, then `tier: local` or `tier: remote (<why>)`. Options from --set go to both
// models as compute metadata, --local-set/--remote-set to one; --schema is sent as json-schema.
import { describeError, env, loadByName, parsedArgs, text, textTensor, write, type Tensor } from '../lib/nn.js';

const USAGE = 'usage: hybrid-chat [--local NAME] [--remote NAME] [--schema JSON] [--chat] [--set|--local-set|--remote-set KEY=VALUE]… PROMPT…';

interface Settings {
  local: string;
  remote: string;
  schema?: Schema;
  chat: boolean;
  shared: Record<string, unknown>;
  localOnly: Record<string, unknown>;
  remoteOnly: Record<string, unknown>;
  prompt: string;
}

type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; additionalProperties?: boolean; items?: Schema; enum?: unknown[] };

function optionValue(textValue: string): unknown {
  try {
    return JSON.parse(textValue);
  } catch {
    return textValue;
  }
}

function setOption(target: Record<string, unknown>, kv: string | undefined): void {
  const eq = (kv ?? '').indexOf('=');
  if (!kv || eq <= 0) throw new Error(`expected KEY=VALUE, got "${kv ?? ''}"`);
  target[kv.slice(0, eq)] = optionValue(kv.slice(eq + 1));
}

function parseArgs(argv: string[]): Settings {
  const s: Settings = { local: env('HYBRID_LOCAL') ?? 'small', remote: env('HYBRID_REMOTE') ?? 'big', chat: false, shared: {}, localOnly: {}, remoteOnly: {}, prompt: '' };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--local') s.local = argv[++i] ?? '';
    else if (a === '--remote') s.remote = argv[++i] ?? '';
    else if (a === '--chat') s.chat = true;
    else if (a === '--schema') {
      const parsed = optionValue(argv[++i] ?? '');
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('--schema expects a JSON schema object');
      s.schema = parsed as Schema;
    } else if (a === '--set') setOption(s.shared, argv[++i]);
    else if (a === '--local-set') setOption(s.localOnly, argv[++i]);
    else if (a === '--remote-set') setOption(s.remoteOnly, argv[++i]);
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else words.push(a);
  }
  s.prompt = words.join(' ');
  if (!s.prompt) throw new Error(`no prompt; ${USAGE}`);
  return s;
}

/** Why a value is not valid for the schema (the common keywords), or undefined when it is. */
function invalid(value: unknown, schema: Schema, at = '$'): string | undefined {
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return `${at} is not one of ${JSON.stringify(schema.enum)}`;
  const type = schema.type;
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (type === 'integer' ? !Number.isInteger(value) : type !== undefined && type !== actual) return `${at} should be ${type}, is ${actual}`;
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) return `${at}.${key} is missing`;
    for (const [key, item] of Object.entries(object)) {
      const sub = schema.properties?.[key];
      if (sub) {
        const why = invalid(item, sub, `${at}.${key}`);
        if (why) return why;
      } else if (schema.additionalProperties === false) return `${at}.${key} is not allowed`;
    }
  }
  if (actual === 'array' && schema.items) {
    for (const [i, item] of (value as unknown[]).entries()) {
      const why = invalid(item, schema.items, `${at}[${i}]`);
      if (why) return why;
    }
  }
  return undefined;
}

/** Why an answer fails the schema, or undefined. */
function schemaFailure(answer: string, schema: Schema): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(answer);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  return invalid(value, schema);
}

function ask(model: string, settings: Settings, own: Record<string, unknown>): string {
  const metadata: Record<string, unknown> = { chat: settings.chat, ...settings.shared, ...own };
  if (settings.schema) metadata['json-schema'] = settings.schema;
  const context = loadByName(model).initExecutionContext();
  const outputs = new Map<string, Tensor>(context.compute([['prompt', textTensor(settings.prompt)], ['metadata', textTensor(JSON.stringify(metadata))]]));
  return text(outputs.get('0')!);
}

/** The local failures the remote tier takes: the prompt or the answer does not fit the local context. */
function doesNotFit(message: string): boolean {
  return /prompt is too long|does not fit the context|context is full/.test(message);
}

export const run = {
  run(): void {
    const settings = parsedArgs(parseArgs);
    let why: string;
    try {
      const answer = ask(settings.local, settings, settings.localOnly);
      const failure = settings.schema && schemaFailure(answer, settings.schema);
      if (!failure) {
        write(`${answer}\ntier: local\n`);
        return;
      }
      why = `the local answer fails the schema: ${failure}`;
    } catch (e) {
      const message = describeError(e);
      if (!doesNotFit(message)) {
        write(`error: local model: ${message}\n`);
        throw e;
      }
      why = 'the prompt does not fit the local context';
    }
    try {
      const answer = ask(settings.remote, settings, settings.remoteOnly);
      const failure = settings.schema && schemaFailure(answer, settings.schema);
      write(`${answer}\ntier: remote (${why})\n`);
      if (failure) throw new Error(`the remote answer fails the schema too: ${failure}`);
    } catch (e) {
      write(`error: remote model: ${describeError(e)}\n`);
      throw e;
    }
  },
};
