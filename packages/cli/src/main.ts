/** The `wacs` command line: one file per command under commands/. */
import { createRequire } from 'node:module';
import { UsageError } from './args.js';
import { backendsCommand } from './commands/backends.js';
import { inspectCommand } from './commands/inspect.js';
import { runCommand } from './commands/run.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export const help = `wacs ${version}: run sandboxed WebAssembly guests that do ML inference through wasi:nn.

Usage: wacs <command> [options]

Commands:
  run <guest.wasm> [options] [-- args]   Run a guest with backends bound at run time
  backends [--json]                      List installed backends and the hardware they detected
  inspect <guest.wasm> [--json]          Show a guest's kind, wasi:nn ABI, imports and exports

Run "wacs <command> --help" for a command's options.
Example:
  wacs run chat.wasm --bind @wacs/backend-llama --model qwen=./qwen2.5-0.5b-q4_k_m.gguf -- "Hello"`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  backends: backendsCommand,
  inspect: inspectCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(help);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    console.log(version);
    return 0;
  }
  const run = commands[command];
  if (!run) {
    console.error(`wacs: unknown command "${command}" (commands: ${Object.keys(commands).join(', ')}; see wacs --help)`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError))) {
      console.error(`wacs: ${e.message}`);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}
