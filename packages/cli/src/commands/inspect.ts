/** `wacs inspect <guest.wasm> [--json]`: what a guest is and which wasi:nn ABI it uses. */
import { describeComponent, WASI_NN_VERSION, wasmKind } from '@wacs/core';
import { parseArgs, UsageError } from '../args.js';
import { readWasm } from '../read-wasm.js';

export const inspectHelp = `Usage: wacs inspect <guest.wasm> [--json]

Tells whether a guest is a component or a core module, which wasi:nn version or ABI it imports
(wasi:nn WIT, or the witx "wasi_ephemeral_nn" module), and lists its imports and exports. For a
witx guest it says which wasi:nn functions are the standard witx ABI (WebAssembly/wasi-nn's
wasi-nn.witx) and which are WasmEdge's extensions.`;

/** The witx ABI as WebAssembly/wasi-nn's wasi-nn.witx defines it (module wasi_ephemeral_nn). */
export const WITX_STANDARD = ['load', 'load_by_name', 'init_execution_context', 'set_input', 'get_output', 'compute'];

/** WasmEdge's additions to that module (its wasi_ephemeral_nn host module), served by wacs too. */
export const WASMEDGE_EXTENSIONS = ['load_by_name_with_config', 'compute_single', 'get_output_single', 'fini_single', 'unload', 'finalize_execution_context'];

export interface InspectReport {
  file: string;
  kind: 'component' | 'module';
  wasiNn: {
    abi: 'wit' | 'witx' | 'none';
    version?: string;
    /** Whether wacs serves every wasi:nn import (a witx guest importing `unknown` functions cannot start). */
    supported: boolean;
    /** witx: the imported functions of the standard ABI, of WasmEdge's extensions, and of neither. */
    standard?: string[];
    wasmedgeExtensions?: string[];
    unknown?: string[];
  };
  imports: string[];
  exports: string[];
}

export async function inspectWasm(file: string, bytes: Uint8Array): Promise<InspectReport> {
  const kind = wasmKind(bytes);
  if (kind === 'component') {
    const { imports, exports } = await describeComponent(bytes);
    const nn = imports.map((i) => /^wasi:nn\/[\w-]+@(.+)$/.exec(i)?.[1]).find(Boolean);
    return {
      file,
      kind,
      wasiNn: nn ? { abi: 'wit', version: nn, supported: nn === WASI_NN_VERSION } : { abi: 'none', supported: true },
      imports,
      exports,
    };
  }
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name} (${i.kind})`);
  const nnFunctions = WebAssembly.Module.imports(module)
    .filter((i) => i.module === 'wasi_ephemeral_nn')
    .map((i) => i.name);
  return {
    file,
    kind,
    wasiNn: nnFunctions.length
      ? witxReport(nnFunctions)
      : { abi: 'none', supported: true },
    imports,
    exports: WebAssembly.Module.exports(module).map((e) => `${e.name} (${e.kind})`),
  };
}

function witxReport(functions: string[]): InspectReport['wasiNn'] {
  const unknown = functions.filter((n) => !WITX_STANDARD.includes(n) && !WASMEDGE_EXTENSIONS.includes(n));
  return {
    abi: 'witx',
    version: 'wasi_ephemeral_nn',
    supported: unknown.length === 0,
    standard: functions.filter((n) => WITX_STANDARD.includes(n)),
    wasmedgeExtensions: functions.filter((n) => WASMEDGE_EXTENSIONS.includes(n)),
    unknown,
  };
}

export async function inspectCommand(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, { json: {}, help: {} });
  if (options.help) {
    console.log(inspectHelp);
    return 0;
  }
  const file = positionals[0];
  if (!file) throw new UsageError('wacs inspect: which file? (wacs inspect <guest.wasm>)');
  const bytes = await readWasm(file);
  if (!bytes) return 1;
  let report: InspectReport;
  try {
    report = await inspectWasm(file, bytes);
  } catch (e) {
    console.error(`wacs: ${file}: ${(e as Error).message}`);
    return 1;
  }
  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const nn = report.wasiNn;
  console.log(`${file}: WebAssembly ${report.kind}`);
  if (nn.abi === 'wit') console.log(`wasi:nn: WIT ${nn.version}${nn.supported ? '' : ` (wacs serves ${WASI_NN_VERSION}: not supported)`}`);
  else if (nn.abi === 'witx') {
    const names = (list: string[]) => (list.length ? list.join(', ') : 'none');
    console.log('wasi:nn: witx ABI (module wasi_ephemeral_nn)');
    console.log(`standard witx functions (WebAssembly/wasi-nn wasi-nn.witx): ${names(nn.standard!)}`);
    console.log(`WasmEdge extensions: ${names(nn.wasmedgeExtensions!)}`);
    if (nn.unknown!.length) console.log(`not served by wacs (the guest cannot start): ${names(nn.unknown!)}`);
  } else console.log('wasi:nn: not imported');
  console.log(`imports (${report.imports.length}):`);
  for (const i of report.imports) console.log(`  ${i}`);
  console.log(`exports (${report.exports.length}):`);
  for (const e of report.exports) console.log(`  ${e}`);
  return 0;
}
