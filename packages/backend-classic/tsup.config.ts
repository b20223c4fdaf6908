import { defineConfig } from 'tsup';
import { browserBundle } from '../../scripts/tsup-browser-bundle.mjs';

// The Node entries (`index`, `demo`), the browser entry for apps that bundle it (`browser`), and
// `browser-bundle` for pages that load it by URL (the evaluators, ml.js and fast-xml-parser, inlined).
// random-js (under ml-random-forest) requires node's `crypto` only inside an engine nobody uses here.
export default defineConfig([
  { entry: { index: 'src/index.ts', demo: 'src/demo.ts', browser: 'src/browser.ts' }, format: 'esm', dts: true, sourcemap: true, target: 'node20' },
  browserBundle('browser-bundle', 'browser.ts', ['crypto']),
]);
