/** `wacs pull <hf-uri-or-url> [--to dir]`: a command this backend adds to wacs. */
import { pullModel } from '../pull.js';

export const summary = 'Download a GGUF model from Hugging Face or a URL (hf:<user>/<repo>[:<quant>])';

const help = `Usage: wacs pull <hf:<user>/<repo>[:<quant>] | hf:<user>/<repo>/<file>.gguf | https://…> [--to <dir>] [--json]

Downloads a GGUF model with node-llama-cpp's resolver (a progress bar while it downloads; a file
already in the folder is not downloaded again) and prints its path, for wacs run --model <name>=<path>.
  --to <dir>   where to put it (default: the current folder)
  --json       print {"path": …} instead of the path`;

export async function run(argv: string[]): Promise<number> {
  let to: string | undefined;
  let json = false;
  const uris: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(help);
      return 0;
    } else if (arg === '--to') to = argv[++i];
    else if (arg.startsWith('--to=')) to = arg.slice(5);
    else if (arg === '--json') json = true;
    else if (arg.startsWith('--')) {
      console.error(`wacs pull: unknown option ${arg}\n${help}`);
      return 2;
    } else uris.push(arg);
  }
  if (uris.length !== 1) {
    console.error(help);
    return 2;
  }
  try {
    const path = await pullModel(uris[0]!, { to, progress: !json && process.stderr.isTTY });
    console.log(json ? JSON.stringify({ path }) : path);
    return 0;
  } catch (e) {
    console.error(`wacs pull: ${(e as Error).message}`);
    return 1;
  }
}
