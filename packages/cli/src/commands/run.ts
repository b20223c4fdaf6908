/** `wacs run <guest.wasm> [options] [-- guest args…]`: runs a guest with backends bound by name. */
import { EXIT, runGuest, settleWithin } from '@wacs/core';
import { traceMark } from '@wacs/core/trace';
import { parseArgs, UsageError } from '../args.js';
import { GUEST_HOST_OPTIONS, guestGrants, guestHost } from '../guest-host.js';
import { artifactBeside, readGuest } from '../guests.js';

export const runHelp = `Usage: wacs run <guest.wasm | guest name> [options] [guest args…] [-- guest args…]
       wacs run [options] <guest.wasm | guest name> [guest args and options…]   (WasmEdge's order)

Runs a WebAssembly guest (a component, or a preview1 core module) in a sandboxed worker, serving its
wasi:nn calls with the bound backends. The guest sees no environment, no files and no network unless
granted below. The guest is a file (a .wasm, or a component prepared by wacs compile: .wacs; a
<name>.wacs beside <name>.wasm is used on its first run), or a guest of an installed package by name:
<package>/<guest> (@wacs/guests/nn-compute) or just <guest> (nn-compute); an existing file of that
name always wins.

Options:
  --bind <package|path>       Bind a backend (repeatable). Default: every installed backend.
  --model <name>=<path>[,k=v…] Register a model for load-by-name (repeatable). Qualifiers:
                              encoding=onnx|ggml|tensorflow|…, target=cpu|gpu|auto, backend=<name>;
                              other keys are graph options (e.g. threads=1).
  --nn-preload <name>:<ENCODING>:<TARGET>:<path>
                              WasmEdge's syntax for the same (repeatable).
  --models-dir <dir>          Register every model in <dir> a bound backend recognises (GGUF, ONNX,
                              GenAI and tfjs folders, …) under its file name without extension.
  --dir <host>[::<guest>]     Preopen a host directory (repeatable); the guest path defaults to the host path.
  --dir <guest>:<host>[:readonly]
                              WasmEdge's syntax for the same (guest path first; .:. is the current
                              folder). :readonly (either syntax) refuses every write under it.
  --env <KEY=VALUE>           Set a guest environment variable (repeatable).
  --timeout <seconds>         Kill the guest after this long (exit code 124).
  --max-memory <MiB>          Cap the guest's linear memory (exit code 137 when it runs out).
  --max-tensor <MiB>          Largest tensor a guest may pass (default 2048); larger ones fail with
                              the wasi:nn error too-large.
  --borrow-inputs             Preview1 guests, models computed in the guest's thread (backend-onnx on
                              CPU): compute reads each input where set_input found it, with no copy.
                              The guest must not change those bytes between set_input and compute.
  -h, --help                  Show this help.

GGML models (backend-llama), for guests that set nothing: n-predict -1 (until the end of text or a
full context: compute then returns context_full with the text so far), temp 0.8, top-k 40, top-p
0.95, min-p 0.05, repeat-penalty 1.1, ctx-size the model's training context up to 4096, batch-size
512, threads half the cores. Options a guest sends (load_by_name_with_config, metadata) that the
backend does not know are ignored, as WasmEdge does (noted on stderr with enable-log); options typed
in --model are checked strictly. WasmEdge's command lines work as they are: docs/wasmedge-compat.md.

Exit code: the guest's own; 1 if its run failed, 124 timeout, 125 could not start, 134 trap.`;

export async function runCommand(argv: string[]): Promise<number> {
  const { options, positionals, rest } = parseArgs(argv, {
    ...GUEST_HOST_OPTIONS,
    'borrow-inputs': {},
    help: {},
  }, { guestArgsAfterPositional: true });
  if (options.help) {
    console.log(runHelp);
    return 0;
  }
  const [guestPath, ...guestArgs] = positionals;
  if (!guestPath) throw new UsageError('wacs run: which guest? (wacs run <guest.wasm> …; see wacs run --help)');

  const grants = guestGrants(options);
  if (!grants) return EXIT.startFailure;

  const guest = await readGuest(guestPath);
  if (!guest) return EXIT.startFailure;

  traceMark('guest-read');
  const host = await guestHost(options);
  traceMark('backends-imported');
  try {
    const result = await runGuest(guest.bytes, host, {
      programName: guest.name,
      args: [...guestArgs, ...rest],
      ...grants,
      borrowInputs: options['borrow-inputs'] !== undefined,
      artifactPath: artifactBeside(guest.path),
    });
    if (result.error) console.error(`wacs: ${result.error}`);
    return result.exitCode;
  } finally {
    // The guest's exit code must not wait on a backend that never finishes releasing its engine.
    if (!(await settleWithin(host.dispose(), 3000))) console.error('wacs: a backend did not release its resources within 3 s; exiting anyway');
    traceMark('host-disposed');
  }
}
