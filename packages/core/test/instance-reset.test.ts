// `wacs serve`'s instance reset: a finished instance put back as it was just after instantiation.
// Oracles: a component transpiled by jco whose exports show its state (the handle numbers the
// bindings give, a global counter, a byte of memory), and a fresh instance of the same component.
import { parse } from '@bytecodealliance/jco';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resettableBindings } from '../src/runner/bindings-reset.js';
import { transpileComponent } from '../src/runner/component-cache.js';
import { exportMutableGlobalsInPlace } from '../src/runner/wasm-binary.js';
import { InstanceSnapshot, RESET_BINDINGS } from '../src/serve/instance-reset.js';

/**
 * A component that keeps what it is given (a handle it never drops), counts calls in a global, and
 * counts them in its memory too: in a block that starts as zeros (byte 100) and in one that starts
 * with data (byte 20000, 5 at instantiation).
 */
const COMPONENT = `(component
  (import "host" (instance $host (export "thing" (type (sub resource)))))
  (alias export $host "thing" (type $thing))
  (core func $drop (canon resource.drop $thing))
  (core module $m
    (import "" "drop" (func $drop (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 20000) "\\05")
    (global $calls (mut i32) (i32.const 0))
    (func (export "keep") (param i32) (result i32)
      (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
      (i32.store8 (i32.const 100) (i32.add (i32.load8_u (i32.const 100)) (i32.const 1)))
      (i32.store8 (i32.const 20000) (i32.add (i32.load8_u (i32.const 20000)) (i32.const 1)))
      local.get 0)
    (func (export "calls") (result i32) global.get $calls)
    (func (export "stored") (result i32) (i32.add (i32.mul (i32.load8_u (i32.const 100)) (i32.const 100)) (i32.load8_u (i32.const 20000))))
    (func (export "grow") (result i32) (memory.grow (i32.const 1))))
  (core instance $i (instantiate $m (with "" (instance (export "drop" (func $drop))))))
  (func (export "keep") (param "x" (own $thing)) (result u32) (canon lift (core func $i "keep")))
  (func (export "calls") (result u32) (canon lift (core func $i "calls")))
  (func (export "stored") (result u32) (canon lift (core func $i "stored")))
  (func (export "grow") (result s32) (canon lift (core func $i "grow"))))`;

interface Exports {
  keep(thing: object): number;
  calls(): number;
  stored(): number;
  grow(): number;
}

class Thing {}

/** The component transpiled as `wacs serve` prepares it, instantiated; with its core instances. */
async function instantiateComponent(): Promise<{ exports: Exports & Record<symbol, unknown>; instances: WebAssembly.Instance[] }> {
  const { files } = await transpileComponent(await parse(COMPONENT));
  const dir = mkdtempSync(join(tmpdir(), 'wacs-reset-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  const { instantiate } = (await import(pathToFileURL(join(dir, 'guest.js')).href)) as {
    instantiate(
      getCoreModule: (name: string) => Promise<WebAssembly.Module>,
      imports: object,
      instantiateCore: (module: WebAssembly.Module, imports?: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
    ): Promise<Exports & Record<symbol, unknown>>;
  };
  const instances: WebAssembly.Instance[] = [];
  const exports = await instantiate(
    (name) => WebAssembly.compile(exportMutableGlobalsInPlace(files[name]!, 0).module as Uint8Array<ArrayBuffer>),
    { host: { Thing } },
    async (module, imports) => {
      const instance = await WebAssembly.instantiate(module, imports);
      instances.push(instance);
      return instance;
    },
  );
  return { exports, instances };
}

/** What a run of calls shows of the instance's state. */
function run(component: Exports): number[] {
  return [component.keep(new Thing()), component.keep(new Thing()), component.calls(), component.stored()];
}

describe('InstanceSnapshot with the resettable bindings pass', () => {
  it('puts an instance back as a fresh one: handle numbers, globals and memory as after instantiation', async () => {
    const fresh = await instantiateComponent();
    const expected = run(fresh.exports);
    expect(expected).toEqual([1, 2, 2, 207]);

    const { exports, instances } = await instantiateComponent();
    const snapshot = InstanceSnapshot.take(exports, instances, []);
    expect(snapshot).toBeDefined();
    run(exports);
    expect(run(exports)).toEqual([3, 4, 4, 409]); // the state carried on
    expect(snapshot!.restorable).toBe(true);
    snapshot!.restore();
    expect(run(exports)).toEqual(expected);
    snapshot!.restore();
    expect(run(exports)).toEqual(expected);
  });

  it('is not restorable once the memory grew (a memory cannot shrink back)', async () => {
    const { exports, instances } = await instantiateComponent();
    const snapshot = InstanceSnapshot.take(exports, instances, [])!;
    expect(exports.grow()).toBe(1);
    expect(snapshot.restorable).toBe(false);
  });
});

describe('resettableBindings', () => {
  /** jco's shape: `instantiate`, and inside it the generator that makes the instance. */
  const bindings = (outer: string, inner: string) => `export function instantiate() {
  ${outer}
  let gen = (function* _initGenerator () {
    ${inner}
    return { f() {} };
  })();
  return gen.next().value;
}`;
  const load = async (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'wacs-reset-'));
    writeFileSync(join(dir, 'guest.js'), text);
    return ((await import(pathToFileURL(join(dir, 'guest.js')).href)) as { instantiate(): Record<symbol, unknown> }).instantiate();
  };

  it('restores arrays and Maps in place and literal lets by value', async () => {
    const text = resettableBindings(
      bindings(
        'const table = [1, 0]; const names = new Map(); let count = 0; globalThis.wacsTest = { grow() { table.push(count++); names.set(count, 1); }, seen: () => [table.length, names.size, count] };',
        '',
      ),
    );
    const exports = await load(text);
    const test = (globalThis as unknown as { wacsTest: { grow(): void; seen(): number[] } }).wacsTest;
    test.grow();
    test.grow();
    expect(test.seen()).toEqual([4, 2, 2]);
    (exports[Symbol.for(RESET_BINDINGS)] as () => void)();
    expect(test.seen()).toEqual([2, 0, 0]);
  });

  it('leaves bindings it cannot sort as they are: a let a call assigns, a Set, a variable in a block', () => {
    for (const text of [
      bindings('let current; function set(v) { current = v; }', ''),
      bindings('const seen = new Set();', ''),
      bindings('', '{ let hidden = 0; globalThis.f = () => hidden++; }'),
    ]) {
      expect(resettableBindings(text)).toBe(text);
    }
  });

  it('gives no reset where a Map is not empty or an array holds an object once instantiated', async () => {
    for (const text of [bindings('const names = new Map();', 'names.set(1, 2);'), bindings('const tasks = [];', 'tasks.push({ id: 1 });')]) {
      const exports = await load(resettableBindings(text));
      expect(exports[Symbol.for(RESET_BINDINGS)]).toBeUndefined();
    }
  });
});

describe('InstanceSnapshot.take', () => {
  it('gives no snapshot of an instance with a mutable v128 global (JavaScript cannot restore it)', async () => {
    const { module } = exportMutableGlobalsInPlace(await parse('(module (global (mut v128) (v128.const i32x4 1 2 3 4)) (memory 1) (func))'), 0);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(module as Uint8Array<ArrayBuffer>));
    const exports = { [Symbol.for(RESET_BINDINGS)]: () => {} };
    expect(InstanceSnapshot.take(exports, [instance], [])).toBeUndefined();
  });
});
