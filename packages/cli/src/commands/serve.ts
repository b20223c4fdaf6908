/** `wacs serve <guest> [options]`: a wasi:http/proxy component (a file, or an installed guest by name) as an HTTP service. */
import { EXIT, ServeSetupError, settleWithin, startServer, type NnHost, type WacsServer } from '@wacs/core';
import { number, parseArgs, UsageError } from '../args.js';
import { GUEST_HOST_OPTIONS, guestGrants, guestHost } from '../guest-host.js';
import { artifactBeside, readGuest } from '../guests.js';
import { serveMetrics, startMetricsServer } from '../serve-metrics.js';

export const serveHelp = `Usage: wacs serve <guest.wasm | guest name> [options] [-- guest args…]

Serves HTTP with a WebAssembly component that exports wasi:http/incoming-handler (the world
wasi:http/proxy, as wasmtime serve, Spin and jco serve run) and does its inference through wasi:nn.
Models load once and are shared; each request runs in a sandboxed guest instance taken from a pool
of pre-instantiated ones (a fresh instance per request unless --reuse-instances). The guest is a
file, or a guest of an installed guest package by name, as for wacs run: <package>/<guest>
(@wacs/guests/oip-server) or just <guest> (oip-server, openai-server).

Server:
  --port <n>                  Port to listen on (default: $PORT, else 8080; 0 picks a free one).
  --host <address>            Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).
  --instances <n>             Requests handled at once, one instance each (default 4).
  --queue <n>                 Requests that may wait for an instance (default 64); beyond, 503 with Retry-After.
  --reuse-instances           Keep an instance from one request to the next (warm state; no isolation
                              between requests).
  --request-timeout <s>       A request's deadline, queueing included (default 300): 504, and its
                              instance is ended and replaced.
  --max-body <MiB>            Largest request body (default 10): larger gets 413.
  --headers-timeout <s>       Time a client has to send its headers (default 10).
  --body-timeout <s>          Time a client has to send its whole request (default 30).
  --drain-timeout <s>         On SIGTERM/SIGINT, how long in-flight requests may finish (default 10).
  --log <text|json|off>       Access log on stderr, one line per request (default text).
  --metrics-port <n>          Serve Prometheus metrics on GET /metrics at this port (same --host).
  --json                      Print one JSON line {"url": …} on stdout once listening.

Guest (as wacs run):
  --bind, --model, --nn-preload, --models-dir, --dir, --env, --max-tensor  See wacs run --help.
  --timeout <s>               The guest's own time per request: 504, and its instance is replaced.
  --max-memory <MiB>          Cap each instance's linear memory (a request that passes it gets 500).
  -h, --help                  Show this help.

Exit code: 0 after a signal and the drain; 125 if the guest cannot be served (not a component, or no
wasi:http/incoming-handler export), 1 if the server cannot start (e.g. the port is taken).`;

/** The server's own default for --instances (startServer's). */
const DEFAULT_INSTANCES = 4;

function nonNegativeInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} expects a whole number, got "${String(value)}"`);
  return n;
}

function seconds(value: unknown, name: string): number | undefined {
  const n = number(value, name);
  return n === undefined ? undefined : n * 1000;
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { options, positionals, rest } = parseArgs(argv, {
    ...GUEST_HOST_OPTIONS,
    port: { value: true },
    host: { value: true },
    instances: { value: true },
    queue: { value: true },
    'reuse-instances': {},
    'request-timeout': { value: true },
    'max-body': { value: true },
    'headers-timeout': { value: true },
    'body-timeout': { value: true },
    'drain-timeout': { value: true },
    log: { value: true },
    'metrics-port': { value: true },
    json: {},
    help: {},
  });
  if (options.help) {
    console.log(serveHelp);
    return 0;
  }
  const [guestPath, ...guestArgs] = positionals;
  if (!guestPath) throw new UsageError('wacs serve: which guest? (wacs serve <guest.wasm | guest name> …; see wacs serve --help)');
  const port = nonNegativeInteger(options.port ?? process.env.PORT, options.port === undefined && process.env.PORT ? 'port (from $PORT)' : 'port') ?? 8080;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const log = (options.log as string | undefined) ?? 'text';
  if (!['text', 'json', 'off'].includes(log)) throw new UsageError(`--log expects text, json or off, got "${log}"`);
  const instances = nonNegativeInteger(options.instances, 'instances');
  if (instances === 0) throw new UsageError('--instances must be at least 1');
  const maxBody = number(options['max-body'], 'max-body');
  const drainMs = seconds(options['drain-timeout'], 'drain-timeout') ?? 10_000;
  const grants = guestGrants(options);
  if (!grants) return EXIT.startFailure;
  const metricsPort = nonNegativeInteger(options['metrics-port'], 'metrics-port');
  const metrics = metricsPort === undefined ? undefined : serveMetrics();
  const hostname = (options.host as string | undefined) ?? '127.0.0.1';

  const guest = await readGuest(guestPath);
  if (!guest) return EXIT.startFailure;
  // Backends that batch (llama's parallel sequences) size a shared model for the requests in flight.
  const host = await guestHost(options, undefined, metrics?.onTokens, instances ?? DEFAULT_INSTANCES);

  let server: WacsServer;
  try {
    server = await startServer(guest.bytes, host, {
      ...grants,
      programName: guest.name,
      args: [...guestArgs, ...rest],
      artifactPath: artifactBeside(guest.path),
      port,
      hostname,
      instances,
      queue: nonNegativeInteger(options.queue, 'queue'),
      reuseInstances: options['reuse-instances'] !== undefined,
      requestTimeoutMs: seconds(options['request-timeout'], 'request-timeout'),
      maxBodyBytes: maxBody === undefined ? undefined : Math.floor(maxBody * 2 ** 20),
      headersTimeoutMs: seconds(options['headers-timeout'], 'headers-timeout'),
      bodyTimeoutMs: seconds(options['body-timeout'], 'body-timeout'),
      log: log as 'text' | 'json' | 'off',
      onRequest: metrics?.onRequest,
      onModelLoaded: metrics?.onModelLoaded,
    });
  } catch (e) {
    await release(host);
    if (e instanceof ServeSetupError) {
      console.error(`wacs: ${e.message}`);
      return e.exitCode;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      console.error(`wacs: cannot listen on ${hostname}:${port}: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
  let metricsUrl: string | undefined;
  let metricsServer: import('node:http').Server | undefined;
  if (metrics) {
    metrics.watch(server.handler);
    try {
      metricsServer = await startMetricsServer(metrics, metricsPort!, hostname);
    } catch (e) {
      console.error(`wacs: cannot serve metrics on ${hostname}:${metricsPort}: ${(e as Error).message}`);
      await server.close(0);
      await release(host);
      return 1;
    }
    const address = metricsServer.address() as { port: number };
    metricsUrl = `${server.url.slice(0, server.url.lastIndexOf(':'))}:${address.port}/metrics`;
  }
  const count = instances ?? DEFAULT_INSTANCES;
  console.error(`wacs serve: ${guest.name} listening on ${server.url} (${count} instance${count === 1 ? '' : 's'})${metricsUrl ? `, metrics at ${metricsUrl}` : ''}`);
  if (options.json) console.log(JSON.stringify({ url: server.url, port: server.port, ...(metricsUrl ? { metrics: metricsUrl } : {}) }));

  // Stop accepting, let in-flight requests finish (bounded), then exit 0; a second signal exits now.
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      console.error(`wacs serve: ${signal}: draining (up to ${drainMs / 1000} s)`);
      metricsServer?.close();
      void server.close(drainMs).then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await release(host);
  console.error('wacs serve: stopped');
  return 0;
}

async function release(host: NnHost): Promise<void> {
  if (!(await settleWithin(host.dispose(), 3000))) console.error('wacs: a backend did not release its resources within 3 s; exiting anyway');
}
