import { defineConfig } from 'tsup';

// Entries: the library, its browser-safe part (`@wacs/core/browser`, for @wacs/browser), and the
// worker scripts guests run in (loaded by URL next to the bundle).
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    browser: 'src/browser.ts',
    'component-worker': 'src/runner/component-worker.ts',
    'module-worker': 'src/runner/module-worker.ts',
  },
  format: 'esm',
  dts: { entry: { index: 'src/index.ts', browser: 'src/browser.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
