// wacs's passes over jco's bindings. Oracles: jco's own `_debugLog` run beside the rewritten one,
// and a component transpiled by jco that still computes what its WAT says.
import { parse } from '@bytecodealliance/jco';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { transpileComponent } from '../src/runner/component-cache.js';
import { debugLogReadOnce } from '../src/runner/jco-bindings.js';

const JCO_DEBUG_LOG = `const _debugLog = (...args) => {
  if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
  console.debug(...args);
}`;

/** Loads a `_debugLog` definition and returns the function it defines. */
const load = (definition: string) => new Function(`${definition}\nreturn _debugLog;`)() as (...args: unknown[]) => void;

describe('debugLogReadOnce', () => {
  const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
  afterEach(() => {
    delete process.env.JCO_DEBUG;
    debug.mockClear();
  });

  it('logs what jco logs, with JCO_DEBUG set or not as the bindings load', () => {
    for (const set of [false, true]) {
      if (set) process.env.JCO_DEBUG = '1';
      const logged: unknown[][] = [];
      for (const definition of [JCO_DEBUG_LOG, debugLogReadOnce(JCO_DEBUG_LOG)]) {
        load(definition)('[startCurrentTask()] args', { componentIdx: 0 });
        logged.push(debug.mock.calls.splice(0));
      }
      expect(logged[1]).toEqual(logged[0]);
      expect(logged[0]).toHaveLength(set ? 1 : 0);
    }
  });

  it('no longer reads the environment on each call', () => {
    const rewritten = load(debugLogReadOnce(JCO_DEBUG_LOG));
    process.env.JCO_DEBUG = '1';
    rewritten('after load');
    expect(debug).not.toHaveBeenCalled();
  });

  it('applies to the bindings jco writes, which still run the component', async () => {
    const wasm = await parse(`(component
      (core module $m (func (export "f") (result i32) (i32.const 42)))
      (core instance $i (instantiate $m))
      (func (export "f") (result u32) (canon lift (core func $i "f"))))`);
    const { files } = await transpileComponent(wasm);
    const bindings = new TextDecoder().decode(files['guest.js']);
    expect(bindings).not.toContain('if (!globalThis?.process?.env?.JCO_DEBUG) { return; }');
    expect(bindings.match(/const _debugLog = /g)).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), 'wacs-bindings-'));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    const { instantiate } = (await import(pathToFileURL(join(dir, 'guest.js')).href)) as {
      instantiate(getCoreModule: (name: string) => Promise<WebAssembly.Module>, imports: object): Promise<{ f(): number }>;
    };
    const component = await instantiate((name) => WebAssembly.compile(files[name] as Uint8Array<ArrayBuffer>), {});
    expect(component.f()).toBe(42);
  });
});
