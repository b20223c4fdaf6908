/** `wacs backends [--json] [--verbose]`: the installed backends, their encodings and detected hardware. */
import { parseArgs } from '../args.js';
import { probeBackends, type BackendRow } from '../backend-probe.js';

export const backendsHelp = `Usage: wacs backends [--json] [--verbose]

Lists the wacs backends installed next to wacs or in the current project (packages whose
package.json has a "wacs.backend" entry), with their encodings and the hardware variants each
detected (which one serves target "auto"). With --json, each backend's options too (name, type,
when it applies: load or per compute, range or choices, default, a line of doc).

Options:
  --json       Print the list as JSON.
  --verbose    Also print, on stderr after the list, what the engines themselves printed while
               probing their hardware (e.g. a missing Vulkan or CUDA library); hidden otherwise.
  -h, --help   Show this help.`;

export async function backendsCommand(argv: string[]): Promise<number> {
  const { options } = parseArgs(argv, { json: {}, verbose: {}, help: {} });
  if (options.help) {
    console.log(backendsHelp);
    return 0;
  }
  const { rows, engineOutput } = await probeBackends();
  printRows(rows, options.json !== undefined);
  if (options.verbose && engineOutput.trim()) {
    console.error('Engine output while probing:');
    for (const line of engineOutput.trimEnd().split('\n')) console.error(`  ${line}`);
  }
  return 0;
}

function printRows(rows: BackendRow[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ backends: rows }, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log('No wacs backends are installed. Install one, e.g.: npm i -g @wacs/backend-onnx');
    return;
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
}
