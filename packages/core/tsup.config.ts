import { defineConfig } from 'tsup';

// Entries: the library, and the worker scripts guests run in (loaded by URL next to the bundle).
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'component-worker': 'src/runner/component-worker.ts',
    'module-worker': 'src/runner/module-worker.ts',
    'http-worker': 'src/serve/http-worker.ts',
  },
  format: 'esm',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
