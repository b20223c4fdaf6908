import { defineConfig } from 'tsup';

// The Node entries (`index`, `demo`), the browser entry for apps that bundle it (`browser`), and
// `browser-bundle` for pages that load it by URL, as `wacs web` does: the evaluators (ml.js,
// fast-xml-parser) inlined, core's contract (`@wacs/core/backend`, a peer) left to the page's
// import map so that the page and every backend share one copy of it; one file, no chunks.
// random-js (under ml-random-forest) requires node's `crypto` only inside an engine nobody uses here.
export default defineConfig([
  { entry: { index: 'src/index.ts', demo: 'src/demo.ts', browser: 'src/browser.ts' }, format: 'esm', dts: true, sourcemap: true, target: 'node20' },
  {
    entry: { 'browser-bundle': 'src/browser.ts' },
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: [/^@wacs\/core\//, 'crypto'],
    noExternal: [/^(?!@wacs\/core\/|crypto$)/],
    splitting: false,
    sourcemap: false,
  },
]);
