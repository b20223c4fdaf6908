import { defineConfig } from 'tsup';
import { browserBundle } from '../../scripts/tsup-browser-bundle.mjs';

// `index` for apps that bundle their own @wllama/wllama, and `bundle` for pages that load it by URL
// (wllama inlined).
export default defineConfig([
  { entry: { index: 'src/index.ts' }, format: 'esm', dts: true, sourcemap: true, platform: 'browser', target: 'es2022' },
  browserBundle('bundle', 'index.ts'),
]);
