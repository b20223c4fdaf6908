/** The `wacs` command line: one file per command under commands/. */
import { createRequire } from 'node:module';
import { UsageError } from './args.js';
import { backendCommands, loadCommand } from './discover.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

const help = `wacs ${version}: run sandboxed WebAssembly guests that do ML inference through wasi:nn.

Usage: wacs <command> [options]

Commands:
  run <guest.wasm> [options] [-- args]   Run a guest with backends bound at run time
  compile <guest.wasm> [-o out.wacs]     Prepare a component ahead of time (no transpiling on its first run)
  serve <guest> [options]                Serve HTTP with a wasi:http/proxy guest (see wacs serve --help)
  backends [--json]                      List installed backends and the hardware they detected
  inspect <guest.wasm> [--json]          Show a guest's kind, wasi:nn ABI, imports and exports

%BACKEND_COMMANDS%Run "wacs <command> --help" for a command's options.
Example:
  wacs run chat.wasm --bind @wacs/backend-llama --model qwen=./qwen2.5-0.5b-q4_k_m.gguf -- "Hello"`;

/** The help text, with the commands installed backends add (e.g. `pull` from @wacs/backend-llama). */
async function fullHelp(): Promise<string> {
  const lines: string[] = [];
  for (const command of backendCommands()) {
    try {
      const { summary } = await loadCommand(command);
      lines.push(`  ${command.name.padEnd(39)}${summary} (${command.package})`);
    } catch (e) {
      lines.push(`  ${command.name.padEnd(39)}(${command.package}: ${(e as Error).message})`);
    }
  }
  return help.replace('%BACKEND_COMMANDS%', lines.length ? `Commands from installed backends:\n${lines.join('\n')}\n\n` : '');
}

type Command = (argv: string[]) => Promise<number>;

/** Each command's module is imported when it runs: `wacs run` need not load `serve`'s HTTP and metrics code. */
const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).runCommand,
  compile: async () => (await import('./commands/compile.js')).compileCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  backends: async () => (await import('./commands/backends.js')).backendsCommand,
  inspect: async () => (await import('./commands/inspect.js')).inspectCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(await fullHelp());
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    console.log(version);
    return 0;
  }
  const builtIn = Object.hasOwn(commands, command) ? commands[command] : undefined;
  // Backends' commands are looked for only when the command is not wacs's own.
  const extra = builtIn ? [] : backendCommands();
  const contributed = extra.find((c) => c.name === command);
  const run = builtIn ? await builtIn() : contributed && (await loadCommand(contributed)).run;
  if (!run) {
    const names = [...Object.keys(commands), ...extra.map((c) => c.name)].join(', ');
    console.error(`wacs: unknown command "${command}" (commands: ${names}; see wacs --help)`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`wacs: ${e.message}`);
      return 2;
    }
    // A TypeError or RangeError is a bug in wacs: keep its stack.
    if (!(e instanceof Error) || e instanceof TypeError || e instanceof RangeError) throw e;
    console.error(`wacs: ${e.message}`);
    return 1;
  }
}
