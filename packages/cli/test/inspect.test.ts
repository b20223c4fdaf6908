// `wacs inspect` on witx (preview1) guests: which wasi_ephemeral_nn imports are the standard witx
// ABI (WebAssembly/wasi-nn's wasi-nn.witx: load, load_by_name, init_execution_context, set_input,
// get_output, compute) and which are WasmEdge's extensions. The --json form is tested with the
// preview1 front end in packages/core/test/preview1.test.ts.
import { repoRoot, runWacs } from '@wacs/fixtures';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const witxProbe = join(repoRoot, 'guests/preview1/bin/witx-probe.wasm');

describe('wacs inspect on a witx guest', () => {
  it('lists load_by_name with the standard witx functions, not with the WasmEdge extensions', async () => {
    const r = await runWacs(['inspect', witxProbe]);
    expect(r.code).toBe(0);
    const line = (prefix: string) => {
      const found = r.stdout.split('\n').find((l) => l.startsWith(prefix));
      expect(found, `a line starting with "${prefix}" in:\n${r.stdout}`).toBeDefined();
      return found!.slice(prefix.length).split(', ').sort();
    };
    expect(line('standard witx functions (WebAssembly/wasi-nn wasi-nn.witx): ')).toEqual(['compute', 'get_output', 'init_execution_context', 'load', 'load_by_name', 'set_input']);
    expect(line('WasmEdge extensions: ')).toEqual(['compute_single', 'finalize_execution_context', 'fini_single', 'get_output_single', 'load_by_name_with_config', 'unload']);
    expect(r.stdout).not.toContain('not served by wacs');
  });
});
