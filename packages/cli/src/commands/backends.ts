/** `wacs backends [--json]`: the installed backends, their encodings and detected hardware. */
import type { HardwareVariant, OptionDescription } from '@wacs/core';
import { parseArgs } from '../args.js';
import { discoverBackends, importBackend } from '../discover.js';

export const backendsHelp = `Usage: wacs backends [--json]

Lists the wacs backends installed next to wacs or in the current project (packages whose
package.json has a "wacs.backend" entry), with their encodings and the hardware variants each
detected (which one serves target "auto"). With --json, each backend's options too (name, type,
when it applies: load or per compute, range or choices, default, a line of doc).`;

interface Row {
  package: string;
  version: string;
  name?: string;
  encodings?: string[];
  priority: number;
  hardware?: HardwareVariant[];
  /** The options it takes, from its option spec. */
  options?: OptionDescription[];
  error?: string;
}

export async function backendsCommand(argv: string[]): Promise<number> {
  const { options } = parseArgs(argv, { json: {}, help: {} });
  if (options.help) {
    console.log(backendsHelp);
    return 0;
  }
  const rows: Row[] = [];
  for (const pkg of discoverBackends()) {
    const row: Row = { package: pkg.package, version: pkg.version, priority: pkg.priority };
    try {
      const backend = await importBackend(pkg);
      row.name = backend.name;
      row.encodings = [...backend.encodings];
      row.options = backend.options?.describe() ?? [];
      row.hardware = (await backend.hardware?.()) ?? [];
    } catch (e) {
      row.error = (e as Error).message;
    }
    rows.push(row);
  }
  if (options.json) {
    console.log(JSON.stringify({ backends: rows }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    console.log('No wacs backends are installed. Install one, e.g.: npm i -g @wacs/backend-onnx');
    return 0;
  }
  for (const row of rows) {
    console.log(`${row.package}@${row.version}${row.name ? `  (name: ${row.name}, encodings: ${row.encodings!.join(', ')})` : ''}`);
    if (row.error) console.log(`  failed to load: ${row.error}`);
    if (row.options?.length) console.log(`  options: ${row.options.map((o) => o.name).join(', ')}`);
    for (const hw of row.hardware ?? []) {
      const state = hw.active ? 'active' : hw.available ? 'available' : 'unavailable';
      console.log(`  ${hw.name.padEnd(12)} ${state.padEnd(12)} ${hw.detail ?? ''}`.trimEnd());
    }
  }
  return 0;
}
