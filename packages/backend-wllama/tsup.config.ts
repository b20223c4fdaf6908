import { defineConfig } from 'tsup';

// Two builds: `index` for apps that bundle their own @wllama/wllama, and `bundle` for pages that
// load it by URL, as `wacs web` does: wllama inlined, core's contract (`@wacs/core/backend`,
// a peer) left to the page's import map so that the page and every backend share one copy of it.
export default defineConfig([
  { entry: { index: 'src/index.ts' }, format: 'esm', dts: true, sourcemap: true, platform: 'browser', target: 'es2022' },
  { entry: { bundle: 'src/index.ts' }, format: 'esm', platform: 'browser', target: 'es2022', external: [/^@wacs\/core\//], noExternal: [/^(?!@wacs\/core\/)/], sourcemap: false },
]);
