import { createHash } from 'node:crypto';

/**
 * The page's import map: app.js and the backends' bundles import core's browser-safe entries by
 * name, and get the one copy the server serves under /core/.
 */
const IMPORT_MAP = JSON.stringify({ imports: { '@wacs/core/backend': '/core/backend.js', '@wacs/core/browser': '/core/browser.js' } });

/**
 * This origin only (the inline import map allowed by its hash); 'wasm-unsafe-eval' lets the page
 * and its workers compile WebAssembly; workers may also come from blob: URLs the page makes itself
 * (wllama starts llama.cpp's worker and its threads from its own inlined code).
 */
export const PAGE_CSP = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}'; worker-src 'self' blob:; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'`;

/** The HTML of the page `wacs web` serves; app.js (from @wacs/browser) fills it in. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wacs web</title>
<style>
  :root { color-scheme: light; font: 15px/1.45 system-ui, sans-serif; color: #1d2430; background: #f4f6f9; }
  body { margin: 0; }
  header { background: #1d2430; color: #fff; padding: 14px 28px; display: flex; align-items: baseline; gap: 14px; }
  header h1 { font-size: 19px; margin: 0; letter-spacing: .02em; }
  header span { color: #a9b4c6; font-size: 13px; }
  main { max-width: 980px; margin: 22px auto; padding: 0 24px; display: grid; gap: 18px; }
  section { background: #fff; border: 1px solid #dde2ea; border-radius: 8px; padding: 14px 18px; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .08em; color: #5b677a; margin: 0 0 10px; }
  dl { display: grid; grid-template-columns: 110px 1fr; gap: 6px 16px; margin: 0; }
  dt { color: #5b677a; }
  dd { margin: 0; font-family: ui-monospace, monospace; font-size: 13.5px; white-space: pre-wrap; word-break: break-all; }
  pre { margin: 0; min-height: 140px; max-height: 60vh; overflow: auto; background: #0f141b; color: #e3e8ef; padding: 12px 14px; border-radius: 6px; font: 13.5px/1.5 ui-monospace, monospace; white-space: pre-wrap; }
  pre .stderr { color: #ffb4a8; }
  #status { font-family: ui-monospace, monospace; font-size: 14px; }
  #status.ok { color: #17803d; }
  #status.failed { color: #c4302b; }
</style>
</head>
<body>
<header><h1>wacs web</h1><span>a wasi:nn guest running in this page, in a Web Worker</span></header>
<main>
  <section><h2>Run</h2><dl id="facts"><dt>Loading</dt><dd>…</dd></dl></section>
  <section><h2>Output</h2><pre id="output"></pre></section>
  <section><h2>Status</h2><div id="status">starting…</div></section>
</main>
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="app.js"></script>
</body>
</html>
`;
