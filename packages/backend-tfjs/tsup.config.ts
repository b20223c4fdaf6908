import { defineConfig } from 'tsup';

// The Node entries (`index`, `demo`), the browser entry for apps that bundle it (`browser`), and
// `browser-bundle` for pages that load it by URL, as `wacs web` does: tfjs and its wasm backend
// inlined (their .wasm files are served beside it, see "engineAssets"), core's contract
// (`@wacs/core/backend`, a peer) left to the page's import map so that the page and every backend
// share one copy of it; one file, no chunks.
export default defineConfig([
  { entry: { index: 'src/index.ts', demo: 'src/demo.ts', browser: 'src/browser.ts' }, format: 'esm', dts: true, sourcemap: true, target: 'node20' },
  {
    entry: { 'browser-bundle': 'src/browser.ts' },
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: [/^@wacs\/core\//],
    noExternal: [/^(?!@wacs\/core\/)/],
    splitting: false,
    sourcemap: false,
  },
]);
