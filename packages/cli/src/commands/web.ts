/** `wacs web <guest.wasm> [options] [-- guest args…]`: runs a component guest in a web page served on loopback. */
import { EXIT, parseModelArg } from '@wacs/core';
import { list, number, parseArgs, UsageError } from '../args.js';
import { readWasm } from '../read-wasm.js';
import { BROWSER_BACKENDS_FOR_FORMAT, DEFAULT_BROWSER_BACKENDS, webAssets } from '../web/assets.js';
import { startWebServer } from '../web/server.js';

export const webHelp = `Usage: wacs web <guest.wasm> [options] [guest args…] [-- guest args…]

Serves a page on 127.0.0.1 that runs a component guest in the browser: the guest in a Web Worker,
its wasi:nn calls served by browser backends (onnxruntime-web, wllama, TensorFlow.js, PMML and ml.js):
in the guest's worker where the browser has JSPI (the guest waits suspended while an engine works),
else in the page through a shared-memory bridge (open the page with ?nn=bridge to ask for that). The page shows the
guest, backends, models, the output as it streams, and the time. Everything it loads (the guest
transpiled by jco, the engines' .wasm files, the models) comes from this server; the guest sees no
network, no page and no files but those given with --dir. Open the printed URL in a browser; Ctrl-C stops the server.

Options:
  --model <name>=<path>[,k=v…] Serve a model for load-by-name (repeatable): a file, or a TensorFlow.js
                              model folder (model.json and its weights); qualifiers as for wacs run
                              (encoding=, target=cpu|gpu, backend=, graph options such as
                              executionProvider=webgpu).
  --dir <host>[::<guest>]     Copy a host folder into the guest's file system in the page (repeatable);
                              the guest path defaults to the host path. Nothing written comes back.
  --stdin <file>              Give the guest this file as its standard input (default: empty).
  --bind <package>            A browser backend package (repeatable). Default: the backends of the
                              models' formats (${[...new Set(Object.values(BROWSER_BACKENDS_FOR_FORMAT).flat())].join(', ')}),
                              or ${DEFAULT_BROWSER_BACKENDS.join(', ')} without models.
  --port <n>                  Port to listen on (default 8765; 0 picks a free one).
  --timeout <seconds>         End the guest after this long (exit code 124 on the page).
  --json                      Print {"url": …} as one JSON line instead of the text message.
  -h, --help                  Show this help.`;

export async function webCommand(argv: string[]): Promise<number> {
  const { options, positionals, rest } = parseArgs(argv, {
    model: { value: true, repeat: true },
    bind: { value: true, repeat: true },
    dir: { value: true, repeat: true },
    stdin: { value: true },
    port: { value: true },
    timeout: { value: true },
    json: {},
    help: {},
  });
  if (options.help) {
    console.log(webHelp);
    return 0;
  }
  const [guestPath, ...guestArgs] = positionals;
  if (!guestPath) throw new UsageError('wacs web: which guest? (wacs web <guest.wasm> …; see wacs web --help)');
  const port = options.port === '0' ? 0 : (number(options.port, 'port') ?? 8765);
  const timeout = number(options.timeout, 'timeout');
  const wasm = await readWasm(guestPath);
  if (!wasm) return EXIT.startFailure;

  const assets = await webAssets({
    guestPath,
    wasm,
    args: [...guestArgs, ...rest],
    models: list(options.model).map(parseModelArg),
    dirs: list(options.dir).map((d) => {
      const [host, guest] = d.split('::');
      return { host: host!, guest: guest ?? host! };
    }),
    ...(typeof options.stdin === 'string' ? { stdin: options.stdin } : {}),
    backends: list(options.bind),
    ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
  });
  const web = await startWebServer(assets, port);
  if (options.json) console.log(JSON.stringify({ url: web.url }));
  else {
    console.log(`wacs web: ${assets.guestName} on ${assets.backends.map((b) => b.package).join(', ')}`);
    console.log(`open ${web.url} (Ctrl-C stops)`);
  }
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void web.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
