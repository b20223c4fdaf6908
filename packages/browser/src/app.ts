/**
 * The page `wacs web` serves: reads the server's `config.json`, loads the browser backends it
 * names, runs the guest with `runGuest` and shows guest, backend, models, the output as it
 * streams, and the time. The result is also left on `window.wacsResult` for scripts and tests.
 */
import { runGuest } from './index.js';
import type { BackendReport } from './messages.js';
import type { WebConfig, WebResult } from './web-config.js';

const DRAW_EVERY_MS = 100;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function size(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
}

/** Long arguments (a tensor's values) cut to a line, saying how much is hidden. */
function shortArg(arg: string): string {
  return arg.length <= 100 ? arg : `${arg.slice(0, 80)}… (${arg.length - 80} more characters)`;
}

function fact(label: string, value: string, id?: string): string {
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<dt>${escape(label)}</dt><dd${id ? ` id="${id}"` : ''}>${escape(value)}</dd>`;
}

/** The guest's files, fetched from the server, keyed by their path under the guest's root `/`. */
async function fetchFiles(list: WebConfig['files']): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  const pending = [...list];
  const fetchNext = async (): Promise<void> => {
    for (let file = pending.shift(); file; file = pending.shift()) {
      const response = await fetch(file.url);
      if (!response.ok) throw new Error(`file ${file.path}: the server answered ${response.status}`);
      files[file.path.replace(/^\/+/, '')] = new Uint8Array(await response.arrayBuffer());
    }
  };
  await Promise.all(Array.from({ length: 8 }, fetchNext)); // a few requests at a time
  return files;
}

async function main(): Promise<void> {
  const config = (await (await fetch('config.json')).json()) as WebConfig;
  document.title = `${config.guest.name} · wacs web`;
  const loads: WebResult['loads'] = [];
  const showLoads = () => {
    $('loads').textContent = loads.map((l) => `${l.model} → ${l.backend} (target ${l.target})`).join('\n') || 'none yet';
  };

  const output = $('output');
  const status = $('status');
  let stdout = '';
  let stderr = '';
  let stdoutPieces = 0;
  // Output is drawn ten times a second: a model streaming hundreds of tokens a second would otherwise
  // spend the page's thread (which also relays the engine's tokens) on the DOM.
  const queued: Array<[text: string, className: string]> = [];
  const draw = () => {
    for (const [text, className] of queued.splice(0)) {
      const last = output.lastElementChild;
      if (last?.className === className) last.textContent += text;
      else output.append(Object.assign(document.createElement('span'), { className, textContent: text }));
    }
  };
  const append = (text: string, className: string) => {
    if (queued.push([text, className]) === 1) setTimeout(draw, DRAW_EVERY_MS);
  };
  const printStdout = (text: string) => {
    stdout += text;
    stdoutPieces++;
    append(text, 'stdout');
  };

  // `?nn=bridge` keeps the backends in the page behind the Atomics bridge, where the guest's worker could host them (JSPI).
  const nnMode = new URLSearchParams(location.search).get('nn') === 'bridge' ? 'bridge' : 'auto';
  const showBackends = (reports: BackendReport[]) => {
    $('backends').textContent = reports
      .map((r, i) => `${r.name} (${config.backends[i]?.package ?? '?'}; ${r.variants.filter((v) => v.available).map((v) => v.name).join(', ') || 'no hardware detected'})`)
      .join('; ');
  };

  const files = await fetchFiles(config.files);
  const stdin = config.stdin ? new Uint8Array(await (await fetch(config.stdin.url)).arrayBuffer()) : undefined;

  $('facts').innerHTML = [
    fact('Guest', `${config.guest.name} (${size(config.guest.bytes)})`),
    fact('Arguments', config.args.length ? config.args.map(shortArg).join(' ') : '(none)'),
    fact('Backends', config.backends.map((b) => b.package).join('; ') || '(none)', 'backends'),
    fact('Models', Object.entries(config.models).map(([name, m]) => `${name} = ${m.file} (${size(m.bytes)})`).join('; ') || '(none)'),
    ...(config.stdin ? [fact('Standard input', size(config.stdin.bytes))] : []),
    ...(config.files.length ? [fact('Files', `${config.files.length} files (${size(config.files.reduce((n, f) => n + f.bytes, 0))}) under ${[...new Set(config.files.map((f) => f.path.split('/').slice(0, 2).join('/')))].join(', ')}`)] : []),
    fact('Loaded', 'none yet', 'loads'),
    fact('wasi:nn', 'starting…', 'nn'),
  ].join('');

  const started = performance.now();
  const tick = setInterval(() => (status.textContent = `running… ${((performance.now() - started) / 1000).toFixed(1)} s`), 100);
  const result = await runGuest(config.guest.url, {
    args: config.args,
    programName: config.guest.name,
    models: Object.fromEntries(Object.entries(config.models).map(([name, m]) => [name, m.spec])),
    // The backends are modules, so that the guest's worker can host them itself where the browser allows.
    backends: config.backends.map((entry) => ({ module: entry.url, ...(entry.assetsUrl ? { settings: { assetsUrl: entry.assetsUrl } } : {}) })),
    ...(config.guest.jspiUrl ? { jspiGuestUrl: config.guest.jspiUrl } : {}),
    nn: nnMode,
    onBackends: showBackends,
    onLoad: (load) => {
      loads.push(load);
      showLoads();
    },
    files,
    ...(stdin ? { stdin } : {}),
    timeoutMs: config.timeoutMs,
    workerUrl: new URL('worker.js', location.href),
    onStdout: printStdout,
    onStderr: (text) => {
      stderr += text;
      append(text, 'stderr');
    },
  });
  const ms = performance.now() - started;
  clearInterval(tick);
  draw();
  $('nn').textContent =
    result.nn === 'in-worker'
      ? "answered in the guest's worker (JSPI): the backends run there"
      : `through the bridge to this page (Atomics.wait; ${crossOriginIsolated ? 'cross-origin isolated' : 'NOT cross-origin isolated'})`;
  status.textContent = `exit ${result.exitCode}${result.error ? `: ${result.error}` : ''} · ${ms.toFixed(0)} ms`;
  status.className = result.exitCode === 0 ? 'ok' : 'failed';
  (window as unknown as { wacsResult: WebResult }).wacsResult = { ...result, stdout, stderr, stdoutPieces, ms, loads };
}

main().catch((e: unknown) => {
  const status = $('status');
  status.textContent = `wacs web: ${e instanceof Error ? e.message : String(e)}`;
  status.className = 'failed';
  (window as unknown as { wacsResult: WebResult }).wacsResult = { exitCode: 125, error: status.textContent, stdout: '', stderr: '', stdoutPieces: 0, ms: 0, loads: [] };
});
