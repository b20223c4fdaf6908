/** `wacs compile <guest.wasm> [-o out.wacs] [--json]`: a component prepared ahead of time. */
import { isComponentArtifact, packArtifact, transpileComponent, unpackArtifact, wasmKind } from '@wacs/core';
import { createHash } from 'node:crypto';
import { writeFile, rename } from 'node:fs/promises';
import { parseArgs, UsageError } from '../args.js';
import { artifactPathFor, readGuest } from '../guests.js';

export const compileHelp = `Usage: wacs compile <guest.wasm | guest name> [-o <out.wacs>] [--thin] [--json]

Prepares a component guest ahead of time, as wasmtime compile and wasmedge compile do: transpiles
it once (the step that takes seconds on a guest's first run) and writes the result to one file.
Run that file (wacs run guest.wacs …), or leave it beside the component as <name>.wacs: wacs run
<name>.wasm uses it on a first run instead of transpiling. The artifact records the component it
was made from and the jco version that made it; wacs refuses one that is corrupt or from another
jco (and passes over a stale one beside its component) with a message saying to compile again.
Preview1 core modules need no such step (V8 compiles them as they run).

Options:
  -o, --output <file>   Where to write it (default: <guest>.wacs beside the guest).
  --thin                Leave out what the component holds byte for byte (its core modules): the
                        artifact reads them from the component, so it serves only from beside
                        it, at about a twentieth of the size (what @wacs/guests ships).
  --json                Print what was written as JSON.
  -h, --help            Show this help.`;

export async function compileCommand(argv: string[]): Promise<number> {
  const at = argv.indexOf('-o');
  if (at >= 0) argv = [...argv.slice(0, at), '--output', ...argv.slice(at + 1)];
  const { options, positionals } = parseArgs(argv, { output: { value: true }, thin: {}, json: {}, help: {} });
  if (options.help) {
    console.log(compileHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('wacs compile: which guest? (wacs compile <guest.wasm> [-o out.wacs]; see wacs compile --help)');
  const guest = await readGuest(positionals[0]!);
  if (!guest) return 1;
  if (isComponentArtifact(guest.bytes)) {
    unpackArtifact(guest.bytes, guest.path); // says whether it is whole and current
    console.error(`wacs: ${guest.path} is already a compiled artifact; compile the component it was made from`);
    return 1;
  }
  let kind;
  try {
    kind = wasmKind(guest.bytes);
  } catch (e) {
    console.error(`wacs: cannot compile ${guest.path}: ${(e as Error).message}`);
    return 1;
  }
  if (kind === 'module') {
    console.error(`wacs: ${guest.path} is a preview1 core module: it needs no ahead-of-time step (wacs run compiles it lazily as it runs)`);
    return 1;
  }
  const output = typeof options.output === 'string' ? options.output : artifactPathFor(guest.path);
  const started = performance.now();
  const source = createHash('sha256').update(guest.bytes).digest('hex');
  const transpiled = await transpileComponent(guest.bytes);
  const artifact = packArtifact(source, transpiled, options.thin ? guest.bytes : undefined);
  // Written beside, then renamed: a run that looks for it never reads half a file.
  const partial = `${output}.partial-${process.pid}`;
  try {
    await writeFile(partial, artifact);
    await rename(partial, output);
  } catch (e) {
    console.error(`wacs: cannot write ${output}: ${(e as Error).message}${typeof options.output === 'string' ? '' : ' (choose another place with -o)'}`);
    return 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const { info } = transpiled;
  if (options.json) {
    console.log(JSON.stringify({ source: guest.path, sha256: source, output, thin: Boolean(options.thin), bytes: artifact.length, seconds: Number(seconds.toFixed(2)), imports: info.imports, exports: info.exports }, null, 2));
  } else {
    console.log(`wacs: compiled ${guest.path} → ${output} (${(artifact.length / 2 ** 20).toFixed(1)} MiB${options.thin ? ', thin: used from beside the component' : ''}) in ${seconds.toFixed(1)} s`);
  }
  return 0;
}
