import { defineConfig } from 'tsup';

// Browser bundles. `index` (runGuest) and `app` (the page `wacs web` serves) import core's
// browser-safe entries (`@wacs/core/backend`, `@wacs/core/browser`) and inline the rest, so the page
// and its backends share one copy of core (NnError is told apart by `instanceof`): a bundler
// dedupes it for apps, an import map does for `wacs web`'s page. `worker` (the guest's Web Worker,
// loaded by URL next to index.js) has no import map, so it inlines everything; it meets the page's
// errors as plain data only.
const page = { format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, splitting: false } as const;
const SHARED_CORE = /^@wacs\/core\//;

export default defineConfig([
  { ...page, entry: { index: 'src/index.ts', app: 'src/app.ts' }, external: [SHARED_CORE], noExternal: [/^(?!@wacs\/core\/)/], dts: { entry: { index: 'src/index.ts' } }, clean: true },
  { ...page, entry: { worker: 'src/worker.ts' }, noExternal: [/.*/] },
]);
