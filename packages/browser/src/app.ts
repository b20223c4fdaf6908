/**
 * The page `wacs web` serves: reads the server's `config.json`, loads the browser backends it
 * names, runs the guest with `runGuest` and shows guest, backend, models, the output as it
 * streams, and the time. The result is also left on `window.wacsResult` for scripts and tests.
 */
import type { Backend, LoadRequest } from '@wacs/core/backend';
import { runGuest } from './index.js';
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

/** Records which backend served each load, for the page to show. */
function watched(backend: Backend, loads: WebResult['loads'], show: () => void): Backend {
  return {
    ...backend,
    load: (request: LoadRequest) => {
      loads.push({ backend: backend.name, model: request.name ?? '(bytes from the guest)', target: request.target });
      show();
      return backend.load(request);
    },
  };
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

  const backends: Backend[] = [];
  const backendNames: string[] = [];
  for (const entry of config.backends) {
    const module = (await import(new URL(entry.url, location.href).href)) as { default: Backend; configure?: (settings: { assetsUrl?: string; stdout?: (text: string) => void }) => void };
    // A backend's stream-stdout prints where the guest's stdout goes, as the host's stdout does under Node.
    module.configure?.({ assetsUrl: entry.assetsUrl, stdout: printStdout });
    const variants = (await module.default.hardware?.()) ?? [];
    backendNames.push(`${module.default.name} (${entry.package}; ${variants.filter((v) => v.available).map((v) => v.name).join(', ') || 'no hardware detected'})`);
    backends.push(watched(module.default, loads, showLoads));
  }

  const files = await fetchFiles(config.files);
  const stdin = config.stdin ? new Uint8Array(await (await fetch(config.stdin.url)).arrayBuffer()) : undefined;

  $('facts').innerHTML = [
    fact('Guest', `${config.guest.name} (${size(config.guest.bytes)})`),
    fact('Arguments', config.args.length ? config.args.map(shortArg).join(' ') : '(none)'),
    fact('Backends', backendNames.join('; ') || '(none)'),
    fact('Models', Object.entries(config.models).map(([name, m]) => `${name} = ${m.file} (${size(m.bytes)})`).join('; ') || '(none)'),
    ...(config.stdin ? [fact('Standard input', size(config.stdin.bytes))] : []),
    ...(config.files.length ? [fact('Files', `${config.files.length} files (${size(config.files.reduce((n, f) => n + f.bytes, 0))}) under ${[...new Set(config.files.map((f) => f.path.split('/').slice(0, 2).join('/')))].join(', ')}`)] : []),
    fact('Loaded', 'none yet', 'loads'),
    fact('Isolation', crossOriginIsolated ? 'cross-origin isolated (shared memory available)' : 'NOT cross-origin isolated'),
  ].join('');

  const started = performance.now();
  const tick = setInterval(() => (status.textContent = `running… ${((performance.now() - started) / 1000).toFixed(1)} s`), 100);
  const result = await runGuest(config.guest.url, {
    args: config.args,
    programName: config.guest.name,
    models: Object.fromEntries(Object.entries(config.models).map(([name, m]) => [name, m.spec])),
    backends,
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
