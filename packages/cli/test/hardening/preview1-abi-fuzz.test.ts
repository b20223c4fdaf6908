// Fuzzing the preview1 wasi_ephemeral_nn ABI, two ways, bounded in count:
// 1. from inside a guest: fuzz-preview1 calls all twelve functions with seeded random pointers,
//    lengths, handles, tensor records and (mutated) model bytes, through the real CLI, worker,
//    bridge, host and onnxruntime; the host must answer every call with a witx errno and a message,
//    never crash, and compute correctly afterwards; in-process, nothing may stay allocated.
// 2. straight into the import functions (core's preview1.ts) with a real WebAssembly.Memory and a
//    scripted bridge that checks everything the front end passes on to the host.
import { ModelRegistry, NnError, NnHost, runGuest, BackendRegistry, validateTensor, type ErrorCode, type NamedTensor } from '@wacs/core';
import { repoRoot } from '@wacs/fixtures';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bind, counted, exitOf, fuzzPreview1, importBackend, linear, linearModelDir, wacs, WITX_ERRNO_NAMES } from './helpers.js';

const SEEDS = [1, 2, 3, 4];
const CALLS_PER_SEED = 5000;
const good = linear([[1, 2, 3]]).join(',');

/** `<function> <errno> <count>` lines of a fuzz run, summed per errno name. */
function tally(stdout: string): { calls: number; byErrno: Map<string, number>; successes: Map<string, number> } {
  const byErrno = new Map<string, number>();
  const successes = new Map<string, number>();
  for (const m of stdout.matchAll(/^(\w+) (\w+) (\d+)$/gm)) {
    byErrno.set(m[2]!, (byErrno.get(m[2]!) ?? 0) + Number(m[3]));
    if (m[2] === 'success') successes.set(m[1]!, Number(m[3]));
  }
  return { calls: Number(/^calls (\d+)$/m.exec(stdout)?.[1] ?? 0), byErrno, successes };
}

describe('fuzz-preview1 through wacs run (backend-onnx)', () => {
  it(`${SEEDS.length} seeds x ${CALLS_PER_SEED} random calls: every answer a witx errno with a message, no crash, a correct compute after`, async () => {
    const { dir, models } = linearModelDir('wacs-abi-fuzz-');
    let total = 0;
    for (const seed of SEEDS) {
      const r = await wacs(['run', fuzzPreview1, ...bind('onnx'), ...models, '--dir', `${dir}::/m`, '--', 'fuzz', 'lin', String(seed), String(CALLS_PER_SEED), '/m/lin.onnx']);
      expect({ seed, code: r.code }).toEqual({ seed, code: 0 });
      const { calls, byErrno, successes } = tally(r.stdout);
      expect(calls).toBe(CALLS_PER_SEED);
      total += calls;
      for (const errno of byErrno.keys()) expect(WITX_ERRNO_NAMES).toContain(errno);
      // The random calls reached past the argument checks: the engine ran and results came back.
      expect(successes.get('compute') ?? 0).toBeGreaterThan(20);
      expect(successes.get('get_output') ?? 0).toBeGreaterThan(5);
      expect(successes.get('set_input') ?? 0).toBeGreaterThan(50);
      // Each failure is explained on stderr, by the front end or the model registry; none is a JS error leaking out.
      // (onnxruntime's own notice about a missing Vulkan loader, printed when a load asks for target gpu,
      // is not ours. Messages quote guest bytes, newlines included, so they are split where "wacs: " starts.)
      const log = r.stderr.split('\n').filter((l) => !/Couldn't load Vulkan|BackendVk\.cpp/.test(l)).join('\n');
      expect(log.startsWith('wacs: ')).toBe(true);
      for (const message of log.split(/\n(?=wacs: )/)) {
        expect(message).toMatch(/^wacs: (wasi_ephemeral_nn\.\w+: \S|no model is registered under the name )/);
        expect(message).not.toMatch(/TypeError|RangeError|ReferenceError|Cannot read properties|is not a function|Maximum call stack/);
      }
      expect(r.stdout).toContain(`good: ${good}\n`);
    }
    expect(total).toBe(SEEDS.length * CALLS_PER_SEED);
  });

  it('in one host process: nothing the fuzzing guest loaded or created outlives it, and no prototype is polluted', async () => {
    const { dir, model } = linearModelDir('wacs-abi-leak-');
    const { backend, census } = counted(await importBackend('onnx'));
    const registry = new BackendRegistry();
    registry.register(backend);
    const named = new ModelRegistry();
    named.add('lin', { path: model });
    const host = new NnHost(registry, named, { log: () => {} });
    for (const seed of [11, 12]) {
      const result = await runGuest(new Uint8Array(readFileSync(fuzzPreview1)), host, {
        args: ['fuzz', 'lin', String(seed), '1500', '/m/lin.onnx'],
        dirs: [{ host: dir, guest: '/m' }],
        timeoutMs: 60_000,
      });
      expect(result).toEqual({ exitCode: 0 });
      // Graphs loaded from guest bytes belong to the session and went with it; named graphs are the host's.
      expect({ seed, contexts: census.liveContexts, graphsFromBytes: census.liveBytesGraphs }).toEqual({ seed, contexts: 0, graphsFromBytes: 0 });
      expect(census.loads.filter((l) => l.source.kind === 'bytes').length).toBeGreaterThan(0);
      // Configs like {"__proto__":{"polluted":true}} reached the host as JSON.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    }
    // Every by-name load was for the registered file: no name a guest chose became a path.
    for (const load of census.loads) if (load.source.kind === 'path') expect(load.source.path).toBe(model);
    await host.dispose();
    expect({ contexts: census.liveContexts, graphs: census.liveGraphs }).toEqual({ contexts: 0, graphs: 0 });
  });
});

describe('wasi_snapshot_preview1 fuzz through wacs run (fuzz-preview1 wasi-fuzz)', () => {
  it(`${SEEDS.length} seeds x 3000 random calls on the preopen's fds and paths: no crash, no hang, nothing written outside the grant`, async () => {
    for (const seed of SEEDS) {
      // root/ holds the grant and a file beside it; the guest sees only the grant, with a file and a folder in it.
      const root = mkdtempSync(join(tmpdir(), 'wacs-wasi-fuzz-'));
      const grant = join(root, 'grant');
      mkdirSync(join(grant, 'a'), { recursive: true });
      writeFileSync(join(grant, 'a/b'), 'inside');
      writeFileSync(join(root, 'beside.txt'), 'outside');
      const r = await wacs(['run', fuzzPreview1, '--timeout', '30', '--dir', `${grant}::/w`, '--', 'wasi-fuzz', String(seed), '3000'], { timeoutMs: 45_000 });
      expect({ seed, exit: exitOf(r), calls: /^calls (\d+)$/m.exec(r.stdout)?.[1] }).toEqual({ seed, exit: 'exit 0', calls: '3000' });
      expect(readdirSync(root).sort()).toEqual(['beside.txt', 'grant']);
      expect(readFileSync(join(root, 'beside.txt'), 'utf8')).toBe('outside');
    }
  });
});

describe('graphs a guest makes the host load', () => {
  it('with load_by_name_with_config, do not outlive the guest that unloaded them (F15)', async () => {
    // Each distinct config is its own graph, cached by name + config in the host, so 200 configs
    // from one guest would be 200 sessions held for the host's lifetime (for a large model, 200
    // copies of its weights), after the guest unloaded each one and exited.
    const { model } = linearModelDir('wacs-configs-');
    const { backend, census } = counted(await importBackend('onnx'));
    const registry = new BackendRegistry();
    registry.register(backend);
    const named = new ModelRegistry();
    named.add('lin', { path: model });
    const host = new NnHost(registry, named, { log: () => {} });
    const result = await runGuest(new Uint8Array(readFileSync(fuzzPreview1)), host, { args: ['configs', 'lin', '200'], timeoutMs: 60_000 });
    expect(result).toEqual({ exitCode: 0 });
    expect(census.loads.length).toBeGreaterThan(0);
    expect(census.liveGraphs).toBeLessThanOrEqual(1);
    await host.dispose();
  });

  it('cannot make the host start a thread pool of the size the guest names (F16)', async () => {
    // The config of load_by_name_with_config arrives from guest memory as is; this is what the
    // host does with {"intra_op_threads": 1024} (Linux: the process's threads in /proc).
    const { model } = linearModelDir('wacs-threads-');
    const registry = new BackendRegistry();
    registry.register(await importBackend('onnx'));
    const named = new ModelRegistry();
    named.add('lin', { path: model });
    const host = new NnHost(registry, named, { log: () => {} });
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();
    const session = host.session();
    let refused = false;
    try {
      await session.loadByName('lin', { intra_op_threads: 1024 });
    } catch {
      refused = true;
    }
    const started = threads() - before;
    await session.close();
    await host.dispose();
    // Refused, or capped: a few dozen threads at most (this machine's cores, not the guest's number).
    expect({ refused, started, acceptable: refused || started <= 64 }).toMatchObject({ acceptable: true });
  });
});

// ---- straight into the import functions ----

type ArgKind = 'handle' | 'struct' | 'out' | 'len' | 'small' | 'text-len';
/** What each argument of each witx function is, to make plausible values for it. */
const SIGNATURES: Record<string, ArgKind[]> = {
  load: ['struct', 'small', 'small', 'small', 'out'],
  load_by_name: ['struct', 'text-len', 'out'],
  load_by_name_with_config: ['struct', 'text-len', 'struct', 'text-len', 'out'],
  init_execution_context: ['handle', 'out'],
  set_input: ['handle', 'small', 'struct'],
  compute: ['handle'],
  get_output: ['handle', 'small', 'out', 'len', 'out'],
  compute_single: ['handle'],
  get_output_single: ['handle', 'small', 'out', 'len', 'out'],
  fini_single: ['handle'],
  unload: ['handle'],
  finalize_execution_context: ['handle'],
};

type WitxFunction = (...args: number[]) => number;
interface Preview1Module {
  preview1NnImports(
    bridge: { call<T>(op: string, args: unknown[], transfer?: ArrayBuffer[]): T },
    memory: () => WebAssembly.Memory | undefined,
    options: { log: (line: string) => void },
  ): Record<string, WitxFunction>;
}
interface ErrnoModule {
  WITX_ERRNO: Record<string, number>;
}
interface StreamStepsModule {
  packSteps: (steps: Array<NamedTensor[] | null>) => Uint8Array;
}

/** xorshift32: the same calls every run. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return { next, below: (n: number) => next() % n, chance: (percent: number) => next() % 100 < percent };
}

/**
 * A host that answers like NnSession and checks the front end's side of the contract: only ops it
 * knows, only handles it issued and has not dropped, only well-formed tensors and builders.
 */
class ScriptedHost {
  readonly violations: string[] = [];
  readonly ops = new Map<string, number>();
  private readonly graphs = new Set<number>();
  private readonly contexts = new Set<number>();
  private next = 1;
  constructor(
    private readonly random: ReturnType<typeof rng>,
    private readonly packSteps?: (steps: Array<NamedTensor[] | null>) => Uint8Array,
  ) {}

  private fail(code: ErrorCode, reason?: 'end-of-sequence' | 'model-not-found' | 'context-full'): never {
    throw new NnError(code, `scripted ${code}`, reason);
  }

  private handle(set: Set<number>, handle: unknown, op: string): number {
    if (typeof handle !== 'number' || !set.has(handle)) this.violations.push(`${op}: handle ${String(handle)} was never issued or is gone`);
    return handle as number;
  }

  private tensors(inputs: unknown, op: string): void {
    if (!Array.isArray(inputs)) return void this.violations.push(`${op}: inputs are not a list`);
    for (const input of inputs as NamedTensor[]) {
      try {
        validateTensor(input.tensor, input.name, { maxBytes: Number.MAX_SAFE_INTEGER, maxRank: Number.MAX_SAFE_INTEGER });
        if (!/^\d+$/.test(input.name)) throw new Error(`input name ${input.name}`);
      } catch (e) {
        this.violations.push(`${op}: ${(e as Error).message}`);
      }
    }
  }

  private outputs(): NamedTensor[] {
    return Array.from({ length: 1 + this.random.below(3) }, (_, i) => {
      const length = this.random.below(64);
      return { name: String(i), tensor: { type: 'U8', dimensions: [length], data: new Uint8Array(length).fill(i + 1) } };
    });
  }

  call<T>(op: string, args: unknown[]): T {
    this.ops.set(op, (this.ops.get(op) ?? 0) + 1);
    const r = this.random;
    switch (op) {
      case 'load': {
        const [builders, encoding, target] = args as [Uint8Array[], string, string];
        if (!Array.isArray(builders) || builders.some((b) => !(b instanceof Uint8Array))) this.violations.push('load: builders are not byte arrays');
        if (typeof encoding !== 'string' || typeof target !== 'string') this.violations.push('load: encoding or target is not a name');
        if (r.chance(40)) this.fail('invalid-encoding');
        this.graphs.add(this.next);
        return this.next++ as T;
      }
      case 'loadByName': {
        const [name, config] = args as [unknown, unknown];
        if (typeof name !== 'string') this.violations.push('loadByName: name is not a string');
        if (config !== undefined && (config === null || typeof config !== 'object' || Array.isArray(config))) this.violations.push('loadByName: config is not an object');
        if (r.chance(30)) this.fail('not-found', 'model-not-found');
        this.graphs.add(this.next);
        return this.next++ as T;
      }
      case 'initContext':
        this.handle(this.graphs, args[0], op);
        this.contexts.add(this.next);
        return this.next++ as T;
      case 'compute': {
        this.handle(this.contexts, args[0], op);
        this.tensors(args[1], op);
        if (r.chance(20)) this.fail(r.chance(50) ? 'runtime-error' : 'invalid-argument');
        return this.outputs() as T;
      }
      case 'peekOutputs': {
        // get_output after set_input or a failed compute: a backend may have outputs already, or none (null).
        this.handle(this.contexts, args[0], op);
        this.tensors(args[1], op);
        if (r.chance(10)) this.fail('runtime-error');
        return (r.chance(50) ? null : this.outputs()) as T;
      }
      case 'streamSteps': {
        // A batch of tokens, ending with null at the end of the sequence.
        this.handle(this.contexts, args[0], op);
        this.tensors(args[1], op);
        if (r.chance(20)) this.fail('runtime-error', r.chance(30) ? 'context-full' : undefined);
        const steps: Array<NamedTensor[] | null> = Array.from({ length: 1 + r.below(4) }, () => this.outputs());
        if (r.chance(30)) steps.push(null);
        // The reply travels the way the real host sends it (one packed buffer, when the front end packs steps).
        return (this.packSteps ? this.packSteps(steps) : steps) as T;
      }
      case 'streamEnd':
        this.handle(this.contexts, args[0], op);
        return undefined as T;
      case 'dropContext':
        this.contexts.delete(this.handle(this.contexts, args[0], op));
        return undefined as T;
      case 'dropGraph':
        this.graphs.delete(this.handle(this.graphs, args[0], op));
        return undefined as T;
      default:
        this.violations.push(`unknown op ${op}`);
        return undefined as T;
    }
  }
}

describe('the preview1 import functions, called directly with a real WebAssembly.Memory', () => {
  it('200 000 random calls: each returns a witx errno and never throws; the host side sees only valid handles and tensors', async () => {
    const { preview1NnImports } = (await import(pathToFileURL(join(repoRoot, 'packages/core/src/abi/preview1/imports.ts')).href)) as Preview1Module;
    const { WITX_ERRNO } = (await import(pathToFileURL(join(repoRoot, 'packages/core/src/abi/preview1/errno.ts')).href)) as ErrnoModule;
    const { packSteps } = (await import(pathToFileURL(join(repoRoot, 'packages/core/src/bridge/stream-wire.ts')).href)) as StreamStepsModule;
    const errnos = new Set(Object.values(WITX_ERRNO));
    const random = rng(0x5eed);
    const host = new ScriptedHost(random, packSteps);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 8 });
    let attached = true;
    const log: string[] = [];
    const nn = preview1NnImports(host, () => (attached ? memory : undefined), { log: (line) => log.push(line) });
    const names = Object.keys(nn);
    const issued: number[] = [];
    const seen = new Map<string, Map<number, number>>();

    const end = () => memory.buffer.byteLength;
    const slot = () => 1024 * random.below(16);
    /** Any u32 a guest could pass: small, at the edge of memory, past it, negative as i32, a handle, a structure, anything. */
    const word = () => {
      switch (random.below(8)) {
        case 0:
          return random.below(16);
        case 1:
          return end() - random.below(24);
        case 2:
          return 0xffffffff - random.below(16);
        case 3:
          return -1 - random.below(4); // negative i32s: the front end reads them as u32
        case 4:
          return issued.length ? issued[random.below(issued.length)]! : 0;
        case 5:
          return slot();
        default:
          return random.next();
      }
    };
    const plausible = (kind: ArgKind): number => {
      switch (kind) {
        case 'handle':
          return issued.length ? issued[issued.length - 1 - random.below(Math.min(4, issued.length))]! : 0;
        case 'struct':
          return slot();
        case 'out':
          return 16 * 1024 + random.below(32 * 1024); // above the structures, inside memory
        case 'len':
          return random.chance(50) ? 4096 : random.below(64);
        case 'small':
          return random.below(4);
        case 'text-len':
          return 3 + random.below(40);
      }
    };
    /** Plausible structures at the addresses `word` favours: tensor records, builder arrays, names, JSON. */
    const scribble = () => {
      const view = new DataView(memory.buffer);
      const at = slot();
      switch (random.below(4)) {
        case 0: {
          // a tensor record: dims at +64, data at +128; mostly consistent, so set_input accepts it
          const rank = random.below(4);
          const dims = Array.from({ length: rank }, () => (random.chance(90) ? 1 + random.below(4) : random.next()));
          dims.forEach((d, i) => view.setUint32(at + 64 + i * 4, d, true));
          const type = random.chance(90) ? random.below(6) : random.below(256);
          const size = [2, 4, 8, 1, 4, 8][type] ?? 1;
          view.setUint32(at, at + 64, true);
          view.setUint32(at + 4, rank, true);
          view.setUint8(at + 8, type);
          view.setUint32(at + 12, at + 128, true);
          view.setUint32(at + 16, random.chance(70) ? dims.reduce((a, b) => a * b, 1) * size : random.below(300), true);
          break;
        }
        case 1:
          // a builder array of two (ptr, len) pairs
          view.setUint32(at, at + 32, true);
          view.setUint32(at + 4, random.below(900), true);
          view.setUint32(at + 8, random.chance(80) ? at + 64 : random.next(), true);
          view.setUint32(at + 12, random.below(64), true);
          break;
        case 2:
          new Uint8Array(memory.buffer, at, 48).set(new TextEncoder().encode(['lin', '{"a":1}', '{"__proto__":{"x":1}}', '[1]', 'null', '\u00ff\u00fe'][random.below(6)]!.padEnd(40, ' ')));
          break;
        default:
          for (let i = 0; i < 32; i++) view.setUint8(at + i, random.next() & 0xff);
      }
    };

    const CALLS = 200_000;
    for (let i = 0; i < CALLS; i++) {
      if (random.chance(30)) scribble();
      if (i % 50_000 === 49_999 && memory.buffer.byteLength < 8 * 65536) memory.grow(1); // views must follow a grown memory
      attached = !random.chance(1);
      const name = names[random.below(names.length)]!;
      // Arguments of the right kind three times in four (so calls get past the checks), else any word.
      const args = (SIGNATURES[name] ?? []).map((kind) => (random.chance(75) ? plausible(kind) : word()));
      let errno: number;
      try {
        errno = nn[name]!(...args);
      } catch (e) {
        throw new Error(`${name}(${args.join(', ')}) threw into the guest: ${(e as Error).message}`);
      }
      expect(errnos.has(errno)).toBe(true);
      const perName = seen.get(name) ?? new Map<number, number>();
      perName.set(errno, (perName.get(errno) ?? 0) + 1);
      seen.set(name, perName);
      // Handles the guest was given come back in later calls.
      if (errno === 0 && /^(load|load_by_name|load_by_name_with_config|init_execution_context)$/.test(name)) {
        const out = name === 'load' ? args[4]! : name === 'load_by_name_with_config' ? args[4]! : name === 'load_by_name' ? args[2]! : args[1]!;
        issued.push(new DataView(memory.buffer).getUint32(out >>> 0, true));
      }
    }
    expect(host.violations).toEqual([]);
    // Every function was reached, and every function succeeded at least once.
    expect([...seen.keys()].sort()).toEqual([...names].sort());
    for (const [name, perErrno] of seen) expect({ name, success: (perErrno.get(0) ?? 0) > 0 }).toEqual({ name, success: true });
    for (const op of ['load', 'loadByName', 'initContext', 'compute', 'dropContext', 'dropGraph']) expect(host.ops.get(op) ?? 0).toBeGreaterThan(0);
    expect(host.ops.get('streamSteps') ?? 0).toBeGreaterThan(0);
    expect(log.length).toBeGreaterThan(CALLS / 2);
    for (const line of log) expect(line).not.toMatch(/TypeError|RangeError|Cannot read properties|is not a function/);
  });
});
