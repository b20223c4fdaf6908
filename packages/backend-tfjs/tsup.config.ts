import { defineConfig } from 'tsup';
import { browserBundle } from '../../scripts/tsup-browser-bundle.mjs';

// The Node entries (`index`, `demo`, and `in-thread`, which guests' workers load), the browser entry for apps that bundle it (`browser`), and
// `browser-bundle` for pages that load it by URL (tfjs and its wasm backend inlined; their .wasm
// files are served beside it, see "engineAssets").
export default defineConfig([
  { entry: { index: 'src/index.ts', demo: 'src/demo.ts', browser: 'src/browser.ts', 'in-thread': 'src/in-thread.ts' }, format: 'esm', dts: true, sourcemap: true, target: 'node20' },
  browserBundle('browser-bundle', 'browser.ts'),
]);
