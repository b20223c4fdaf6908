/**
 * The options `wacs run` and `wacs serve` share: which backends to bind, which models to register,
 * and what the guest is granted (env, dirs, limits); and the wasi:nn host built from them.
 */
import { DEFAULT_TENSOR_LIMITS, ModelRegistry, NnHost, parseModelArg, parseNnPreload, probePath, registerModelsDir, type DirGrant, type HostOptions } from '@wacs/core';
import { list, number, UsageError, type OptionSpec, type ParsedArgs } from './args.js';
import { bindBackends } from './discover.js';
import { DirGrantError, parseDirArg } from './dir-grant.js';

export const GUEST_HOST_OPTIONS: Record<string, OptionSpec> = {
  bind: { value: true, repeat: true },
  model: { value: true, repeat: true },
  'nn-preload': { value: true, repeat: true },
  'models-dir': { value: true, repeat: true },
  dir: { value: true, repeat: true },
  env: { value: true, repeat: true },
  timeout: { value: true },
  'max-memory': { value: true },
  'max-tensor': { value: true },
};

export interface GuestGrants {
  env: Record<string, string>;
  dirs: DirGrant[];
  timeoutMs?: number;
  maxMemoryBytes?: number;
}

/**
 * The guest's grants and limits from parsed options. Throws UsageError on a bad value; a --dir that
 * cannot be granted is said on stderr and gives undefined (the caller exits 125).
 */
export function guestGrants(options: ParsedArgs['options']): GuestGrants | undefined {
  try {
    return grantsFrom(options);
  } catch (e) {
    if (!(e instanceof DirGrantError)) throw e;
    console.error(`wacs: ${e.message}`);
    return undefined;
  }
}

function grantsFrom(options: ParsedArgs['options']): GuestGrants {
  const env: Record<string, string> = {};
  for (const kv of list(options.env)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env expects KEY=VALUE, got "${kv}"`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  // Both spellings, wacs's and WasmEdge's; a missing folder throws DirGrantError (exit 125).
  const dirs: DirGrant[] = list(options.dir).map(parseDirArg);
  const timeout = number(options.timeout, 'timeout');
  const maxMemory = number(options['max-memory'], 'max-memory');
  return {
    env,
    dirs,
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    maxMemoryBytes: maxMemory === undefined ? undefined : maxMemory * 2 ** 20,
  };
}

/** Binds the backends and registers the models the options name. */
export async function guestHost(
  options: ParsedArgs['options'],
  log: (line: string) => void = (l) => console.error(l),
  onTokens?: HostOptions['onTokens'],
  concurrency?: number,
): Promise<NnHost> {
  const models = new ModelRegistry();
  for (const arg of list(options.model)) {
    const { name, spec } = parseModelArg(arg);
    models.add(name, spec);
  }
  for (const arg of list(options['nn-preload'])) {
    const { name, spec } = parseNnPreload(arg);
    models.add(name, spec);
  }
  const maxTensor = number(options['max-tensor'], 'max-tensor');
  const { registry } = await bindBackends(list(options.bind));
  for (const dir of list(options['models-dir'])) {
    const found = await registerModelsDir(dir, models, async (path) => registry.canLoad(await probePath(path)));
    if (found.length === 0) log(`wacs: --models-dir ${dir}: no model a bound backend recognises`);
  }
  const limits = maxTensor === undefined ? undefined : { ...DEFAULT_TENSOR_LIMITS, maxBytes: Math.floor(maxTensor * 2 ** 20) };
  return new NnHost(registry, models, { limits, onTokens, concurrency });
}
