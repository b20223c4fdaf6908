import { defineConfig } from 'tsup';

// Browser bundles, self-contained (core's browser entry and preview2-shim's browser WASI inlined):
// `index` (runGuest) and `worker` (the guest's Web Worker, loaded by URL next to it), and `app`,
// the page `wacs web` serves.
export default defineConfig({
  entry: { index: 'src/index.ts', worker: 'src/worker.ts', app: 'src/app.ts' },
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  noExternal: [/.*/],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: false,
});
